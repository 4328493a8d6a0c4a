"""Sign-in with the company directory (LDAP / Active Directory), issue #22.

``config`` reads the service account's secret; ``client`` asks the directory (ldap3, in worker
threads, with timeouts); ``mapping`` turns groups into Parley permissions; ``linked`` keeps the
Parley accounts that mirror directory entries; ``signin`` checks passwords at sign-in; ``sync``
re-checks every directory account periodically; ``people`` answers the booking dialog's search;
``hosting`` guards the requests only hosts may make; ``check`` is ``parley-relay directory check``.
"""
