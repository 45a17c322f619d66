"""Error answers in Daraja's own shapes (DARAJA.md, "Responses and errors")."""

from __future__ import annotations

from starlette.responses import JSONResponse

INVALID_ACCESS_TOKEN = ("404.001.03", "Invalid Access Token")
INVALID_AUTHENTICATION = ("400.008.01", "Invalid Authentication passed")
INVALID_GRANT_TYPE = ("400.008.02", "Invalid grant type passed")
WRONG_CREDENTIALS = ("500.001.1001", "Wrong credentials")
MERCHANT_UNKNOWN = ("500.001.1001", "Merchant does not exist")
SUBSCRIBER_LOCKED = (
    "500.001.1001",
    "Unable to lock subscriber, a transaction is already in process for the current subscriber",
)
STILL_PROCESSING = ("500.001.1001", "The transaction is being processed")
SPIKE_ARREST = ("500.003.02", "Spike Arrest Violation")
INTERNAL_ERROR = ("500.003.1001", "Internal Server Error")


class DarajaFault(Exception):
    """A request refused with Daraja's `{requestId, errorCode, errorMessage}` envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message

    @classmethod
    def of(cls, known: tuple[str, str]) -> DarajaFault:
        """A fault from one of the (code, message) pairs above."""
        return cls(*known)

    @classmethod
    def invalid(cls, field: str) -> DarajaFault:
        """400.002.02 `Bad Request - Invalid <field>`."""
        return cls("400.002.02", f"Bad Request - Invalid {field}")

    @property
    def http_status(self) -> int:
        """Daraja's HTTP status is the first part of the code: 400, 404 or 500."""
        return int(self.code.split(".", 1)[0])

    def response(self, request_id: str) -> JSONResponse:
        """The JSON answer Daraja gives for this fault."""
        body = {"requestId": request_id, "errorCode": self.code, "errorMessage": self.message}
        return JSONResponse(body, status_code=self.http_status)


def apigee_fault(path: str) -> JSONResponse:
    """Apigee's answer for a path no Daraja API lives on."""
    body = {
        "fault": {
            "faultstring": f"Unable to identify proxy for host: default and url: {path}",
            "detail": {"errorcode": "messaging.adaptors.http.flow.ApplicationNotFound"},
        }
    }
    return JSONResponse(body, status_code=404)


def control_error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    """An error of the simulator's own /sim API, in the project's error shape."""
    error: dict[str, str] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return JSONResponse({"success": False, "error": error}, status_code=status)
