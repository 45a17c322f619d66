"""The STK status page: today's prompts and the one selected."""
