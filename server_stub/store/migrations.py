"""Versioned schema migrations for both stores (SQLite, PostgreSQL); each runs once, in order."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE providers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            mpesa_consumer_key BLOB,
            mpesa_consumer_secret BLOB,
            mpesa_shortcode TEXT,
            mpesa_passkey BLOB,
            mpesa_environment TEXT,
            account_type TEXT,
            till_number TEXT,
            callback_url TEXT,
            mpesa_credentials_verified INTEGER NOT NULL DEFAULT 0,
            mpesa_last_test REAL,
            mpesa_test_status TEXT,
            last_seq INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE tokens (
            token_hash TEXT PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            role TEXT NOT NULL CHECK (role IN ('owner', 'attendant')),
            created_at REAL NOT NULL,
            revoked_at REAL
        ) WITHOUT ROWID;
        CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            callback_token_hash TEXT NOT NULL UNIQUE,
            idempotency_key TEXT,
            checkout_request_id TEXT UNIQUE,
            merchant_request_id TEXT,
            status TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            amount INTEGER NOT NULL,
            account_reference TEXT NOT NULL,
            transaction_desc TEXT NOT NULL,
            mpesa_receipt_number TEXT,
            result_code TEXT,
            result_desc TEXT,
            resolved_by TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            seq INTEGER,
            query_attempts INTEGER NOT NULL DEFAULT 0,
            next_query_at REAL,
            UNIQUE (provider_id, seq)
        );
        CREATE UNIQUE INDEX payments_receipt ON payments (mpesa_receipt_number)
            WHERE mpesa_receipt_number IS NOT NULL;
        CREATE UNIQUE INDEX payments_idempotency ON payments (provider_id, idempotency_key)
            WHERE idempotency_key IS NOT NULL;
        CREATE INDEX payments_phone ON payments (provider_id, phone_number, created_at);
        CREATE INDEX payments_due ON payments (next_query_at) WHERE next_query_at IS NOT NULL;
        CREATE TABLE raw_callbacks (
            id INTEGER PRIMARY KEY,
            received_at REAL NOT NULL,
            provider_ref TEXT NOT NULL,
            source_address TEXT NOT NULL,
            body BLOB NOT NULL,
            outcome TEXT NOT NULL,
            payment_id INTEGER REFERENCES payments(id)
        );
        CREATE TABLE relay_secrets (
            name TEXT PRIMARY KEY,
            value BLOB NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        2,
        """
        ALTER TABLE providers ADD COLUMN pushes_per_minute INTEGER
            CHECK (pushes_per_minute IS NULL OR pushes_per_minute > 0);
        """,
    ),
    (
        # The store's identity (DESIGN.md section 13): desks resync when it changes.
        3,
        """
        CREATE TABLE store_meta (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
    (
        # Desks (DESIGN.md section 13, "Tokens and roles"): tokens get an id the owner can name
        # a desk by, a name, and when and from where they were last used; each push records
        # the desk that sent it and whether it was a sale or the owner's test prompt; a passed
        # test prompt proves the shortcode and passkey of the credentials it was sent with.
        4,
        """
        CREATE TABLE tokens_v4 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            token_hash TEXT NOT NULL UNIQUE,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            role TEXT NOT NULL CHECK (role IN ('owner', 'attendant')),
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL,
            last_used_at REAL,
            last_address TEXT
        );
        INSERT INTO tokens_v4 (token_hash, provider_id, role, name, created_at, revoked_at)
            SELECT token_hash, provider_id, role,
                   CASE role WHEN 'owner' THEN 'Owner' ELSE 'Attendant desk' END,
                   created_at, revoked_at
            FROM tokens ORDER BY created_at, token_hash;
        DROP TABLE tokens;
        ALTER TABLE tokens_v4 RENAME TO tokens;
        CREATE INDEX tokens_provider ON tokens (provider_id);
        ALTER TABLE payments ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sale';
        ALTER TABLE payments ADD COLUMN sent_by_token_id INTEGER;
        ALTER TABLE payments ADD COLUMN sent_by_name TEXT;
        ALTER TABLE providers ADD COLUMN prompt_proven_at REAL;
        ALTER TABLE providers ADD COLUMN credentials_saved_at REAL;
        ALTER TABLE providers ADD COLUMN credentials_digest TEXT;
        """,
    ),
    (
        # Plans, confirmation, access codes, voucher pools and the delivery outbox (DESIGN.md
        # sections 9 and 13). Payments paid before this version need no confirmation and get no
        # access rows: an upgrade must not flood routers or receivers.
        5,
        """
        CREATE TABLE plans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            name TEXT NOT NULL,
            price INTEGER NOT NULL CHECK (price > 0),
            duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
            data_cap_mb INTEGER,
            speed TEXT,
            router_profile TEXT,
            account_reference TEXT NOT NULL,
            transaction_desc TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            archived_at REAL
        );
        CREATE INDEX plans_provider ON plans (provider_id, archived_at);
        ALTER TABLE providers ADD COLUMN plans_version INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE providers ADD COLUMN access_at_callback INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE payments ADD COLUMN plan_id INTEGER REFERENCES plans(id);
        ALTER TABLE payments ADD COLUMN plan_terms TEXT;
        ALTER TABLE payments ADD COLUMN confirmation TEXT CHECK (confirmation IS NULL OR
            confirmation IN ('pending', 'confirmed', 'not_needed'));
        ALTER TABLE payments ADD COLUMN confirm_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE payments ADD COLUMN confirm_from REAL;
        ALTER TABLE payments ADD COLUMN confirm_problem TEXT;
        UPDATE payments SET confirmation = 'not_needed', next_query_at = NULL
            WHERE status = 'paid';
        CREATE TABLE access (
            id INTEGER PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            payment_id INTEGER NOT NULL UNIQUE REFERENCES payments(id),
            plan_id INTEGER REFERENCES plans(id),
            code TEXT NOT NULL,
            voucher_id INTEGER,
            starts_at REAL NOT NULL,
            expires_at REAL,
            state TEXT NOT NULL
                CHECK (state IN ('issued', 'delivered', 'failed', 'revoked')),
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (provider_id, code)
        );
        CREATE TABLE vouchers (
            id INTEGER PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            plan_id INTEGER NOT NULL REFERENCES plans(id),
            code TEXT NOT NULL,
            password TEXT,
            imported_at REAL NOT NULL,
            access_id INTEGER UNIQUE REFERENCES access(id),
            UNIQUE (provider_id, code)
        );
        CREATE INDEX vouchers_unused ON vouchers (plan_id, id) WHERE access_id IS NULL;
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            access_id INTEGER NOT NULL REFERENCES access(id),
            mechanism TEXT NOT NULL,
            action TEXT NOT NULL CHECK (action IN ('add', 'remove')),
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'leased', 'delivered', 'failed', 'revoked')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            next_try_at REAL,
            lease_id TEXT,
            lease_until REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (access_id, mechanism, action)
        );
        CREATE INDEX deliveries_due ON deliveries (mechanism, next_try_at)
            WHERE state IN ('pending', 'failed', 'leased');
        """,
    ),
    (
        6,
        # Each payment's feed item, rendered once per change when it commits: a feed page or a
        # snapshot is then stored bytes joined, not rows turned into JSON on every read. NULL
        # means "not rendered yet" (rows older than this version, or changed in an open
        # transaction); the partial index finds them.
        """
        ALTER TABLE payments ADD COLUMN feed_json BLOB;
        CREATE INDEX payments_unrendered ON payments (id)
            WHERE feed_json IS NULL AND seq IS NOT NULL;
        """,
    ),
    (
        # Platform administrators and the audit log (DESIGN.md section 12): admin tokens belong
        # to no provider; a provider can be disabled; the audit log refuses UPDATE and DELETE,
        # so no route, command or bug can rewrite history; the health list reads each
        # provider's last 30 days of payments from one covering index (never the table).
        7,
        """
        CREATE TABLE tokens_v7 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            token_hash TEXT NOT NULL UNIQUE,
            provider_id INTEGER REFERENCES providers(id),
            role TEXT NOT NULL CHECK (role IN ('owner', 'attendant', 'admin')),
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            revoked_at REAL,
            last_used_at REAL,
            last_address TEXT,
            CHECK ((role = 'admin') = (provider_id IS NULL))
        );
        INSERT INTO tokens_v7 (id, token_hash, provider_id, role, name, created_at, revoked_at,
                               last_used_at, last_address)
            SELECT id, token_hash, provider_id, role, name, created_at, revoked_at,
                   last_used_at, last_address
            FROM tokens;
        DROP TABLE tokens;
        ALTER TABLE tokens_v7 RENAME TO tokens;
        CREATE INDEX tokens_provider ON tokens (provider_id);
        ALTER TABLE providers ADD COLUMN disabled_at REAL;
        ALTER TABLE providers ADD COLUMN last_callback_at REAL;
        UPDATE providers SET last_callback_at = (
            SELECT MAX(r.received_at) FROM raw_callbacks r JOIN payments p ON p.id = r.payment_id
            WHERE p.provider_id = providers.id AND r.provider_ref = CAST(providers.id AS TEXT)
        );
        CREATE INDEX payments_recent ON payments
            (provider_id, created_at, status, amount, purpose, seq);
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at REAL NOT NULL,
            actor_token_id INTEGER,
            actor_name TEXT NOT NULL,
            role TEXT NOT NULL,
            address TEXT NOT NULL,
            provider_id INTEGER,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
        );
        CREATE INDEX audit_provider ON audit_log (provider_id, id);
        CREATE INDEX audit_action ON audit_log (action, id);
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN
            SELECT RAISE(ABORT, 'the audit log is append-only');
        END;
        """,
    ),
    (
        # Signed webhooks (DESIGN.md sections 10 and 13): endpoints with their encrypted
        # secrets, events rendered once when they happen, one leased delivery per endpoint and
        # event, and every attempt kept for the owner's delivery log.
        8,
        """
        CREATE TABLE webhook_endpoints (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            url TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            events TEXT NOT NULL,
            enabled INTEGER NOT NULL DEFAULT 1,
            disabled_reason TEXT,
            secret BLOB NOT NULL,
            old_secret BLOB,
            old_secret_until REAL,
            failing_since REAL,
            last_success_at REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        );
        CREATE INDEX webhook_endpoints_provider ON webhook_endpoints (provider_id);
        CREATE TABLE webhook_events (
            id TEXT PRIMARY KEY,
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            type TEXT NOT NULL,
            payment_id INTEGER REFERENCES payments(id),
            body BLOB NOT NULL,
            created_at REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE webhook_deliveries (
            id INTEGER PRIMARY KEY,
            endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
            event_id TEXT NOT NULL REFERENCES webhook_events(id),
            state TEXT NOT NULL
                CHECK (state IN ('pending', 'leased', 'delivered', 'failed', 'exhausted')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at REAL,
            lease_id TEXT,
            lease_until REAL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (endpoint_id, event_id)
        );
        CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_try_at)
            WHERE state IN ('pending', 'failed', 'leased');
        CREATE TABLE webhook_attempts (
            id INTEGER PRIMARY KEY,
            delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            at REAL NOT NULL,
            status_code INTEGER,
            duration_ms INTEGER NOT NULL,
            error TEXT,
            response_body TEXT,
            next_try_at REAL
        );
        CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
        """,
    ),
    (
        # Network access mechanisms switched on per provider (DESIGN.md section 13, "Delivery"):
        # RADIUS rows written by the relay, MikroTik hotspot users made by a desk on the shop
        # LAN, which must be at the router bound here.
        9,
        """
        CREATE TABLE access_mechanisms (
            provider_id INTEGER NOT NULL REFERENCES providers(id),
            mechanism TEXT NOT NULL CHECK (mechanism IN ('radius', 'mikrotik')),
            enabled INTEGER NOT NULL DEFAULT 0,
            router_identity TEXT,
            updated_at REAL NOT NULL,
            PRIMARY KEY (provider_id, mechanism)
        ) WITHOUT ROWID;
        """,
    ),
    (
        # State several relay instances on one database must share (DESIGN.md section 11): the
        # abuse limits' recent events (wrong tokens per address, prompts per provider) and the
        # one-time nonces of the setup test's self-check, which a load balancer may send to
        # another instance than the one that issued them, and each Daraja app's OAuth token
        # (encrypted), one for all instances. A single relay keeps them in memory.
        10,
        """
        CREATE TABLE limit_events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX limit_events_key ON limit_events (kind, key, at);
        CREATE TABLE nonces (
            nonce TEXT PRIMARY KEY,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE daraja_tokens (
            app TEXT PRIMARY KEY,
            token BLOB NOT NULL,
            refresh_at REAL NOT NULL
        ) WITHOUT ROWID;
        """,
    ),
)


class MigrationError(RuntimeError):
    """The database is newer than this relay, or a migration failed."""


def latest_version() -> int:
    """The schema version this relay writes."""
    return MIGRATIONS[-1][0]


# Turns one SQLite statement into the statements another database runs instead (PostgreSQL).
Translate = Callable[[str], list[str]]


def _same(statement: str) -> list[str]:
    return [statement]


def migrate(
    connection: sqlite3.Connection | Any, path: Path | None = None, translate: Translate = _same
) -> int:
    """Bring the schema up to date (connection in autocommit mode); returns the version.

    The one list of migrations serves both stores: the PostgreSQL store passes `translate`
    (`server_stub.store.postgres.schema.postgres_ddl`) and an adapter connection.
    """
    for statement in translate(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at REAL)"
    ):
        connection.execute(statement)
    latest = MIGRATIONS[-1][0]
    version = _version(connection)
    if version > latest:
        where = f"The database {path}" if path is not None else "The database"
        # Seen after a rollback: the pre-upgrade backup is the way back, not another upgrade.
        raise MigrationError(
            f"{where} is at schema version {version}, newer than this relay ({latest}): it was "
            "upgraded by a newer relay. Restore the backup taken before the upgrade "
            "(bucket-relay restore), or reinstall the newer relay."
        )
    for number, script in MIGRATIONS:
        if number > version and _apply(connection, number, script, translate):
            log.info("Schema migration %d applied (database now at version %d).", number, number)
    return max(version, latest)


def _version(connection: sqlite3.Connection | Any) -> int:
    row = connection.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
    return int(row[0])


def _apply(
    connection: sqlite3.Connection | Any, number: int, script: str, translate: Translate
) -> bool:
    # The version is read again under the write lock: a CLI command and `serve` may both be
    # opening the same new database at once.
    connection.execute("BEGIN IMMEDIATE")
    applied = False
    try:
        if _version(connection) < number:
            applied = True
            for sqlite_statement in _statements(script):
                for statement in translate(sqlite_statement):
                    connection.execute(statement)
            connection.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (number, time.time()),
            )
        connection.execute("COMMIT")
    except sqlite3.Error as error:
        connection.execute("ROLLBACK")
        raise MigrationError(f"Schema migration {number} failed: {error}.") from None
    return applied


def _statements(script: str) -> list[str]:
    """The script's statements; a trigger's body (with its own semicolons) stays whole."""
    statements: list[str] = []
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending)
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending)
    return statements
