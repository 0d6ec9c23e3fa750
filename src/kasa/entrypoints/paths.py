"""Route paths that more than one place needs."""

from __future__ import annotations

# The gateway calls it (the container gives the gateway its full URL).
LIQPAY_CALLBACK = "/user/payments/liqpay-callback"
MONOBANK_CALLBACK = "/user/payments/monobank-callback"
# Where a payer comes back from a gateway's page.
PAYMENT_DONE = "/payments/done"
# A member's own file; the mobile API builds these URLs into its answers.
MEMBER_FILE = "/files"
# A program's public terms, served by the admin API.
PROGRAM_TERMS = "/program"
