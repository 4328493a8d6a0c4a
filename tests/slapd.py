"""A private OpenLDAP server for the directory tests: Debian's ``slapd`` on a free loopback port,
with a throw-away database and configuration (slapd.conf via ``-f``) in a temp folder, over ldaps
with a certificate from a test CA made here with ``cryptography``. Started once per test session.

The tree has both shapes the relay meets in companies:
- OpenLDAP: ``ou=people`` (inetOrgPerson, ``uid``) and ``ou=groups`` (groupOfNames);
- Active Directory: ``ou=staff`` (objectClass ``user`` with ``sAMAccountName``,
  ``userAccountControl`` and ``memberOf``, from a small test schema with AD's own OIDs).
Anonymous users may not search: the relay must use its service account ``cn=parley-svc``.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from ldap3 import MODIFY_ADD, Connection, Server, Tls

SLAPD = "/usr/sbin/slapd"
BASE = "dc=example,dc=com"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PW = "root-secret-for-tests"
SERVICE_DN = f"cn=parley-svc,ou=services,{BASE}"
SERVICE_PW = "service-secret-for-tests"
USERS_GROUP = f"cn=parley-users,ou=groups,{BASE}"
HOSTS_GROUP = f"cn=parley-hosts,ou=groups,{BASE}"
ADMINS_GROUP = f"cn=parley-admins,ou=groups,{BASE}"

_AD_SCHEMA = """
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.8 NAME 'userAccountControl'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.102 NAME 'memberOf'
  EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
objectclass ( 1.2.840.113556.1.5.9 NAME 'user' SUP inetOrgPerson STRUCTURAL
  MAY ( sAMAccountName $ userAccountControl $ memberOf ) )
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_ca(
    folder: Path, name: str = "Parley Test Directory CA"
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(folder: Path, ca_key: ec.EllipticCurvePrivateKey, ca: x509.Certificate) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        # Only 127.0.0.1 and localhost: the same server reached as 127.0.0.2 does not match.
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )


class Slapd:
    """One slapd process; ``admin()`` is an ldap3 connection as the directory's root (to change it)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = 0
        self.plain_port = 0  # ldap:// (StartTLS or plain)
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self.ca_file = folder / "ca.pem"
        self.other_ca_file = folder / "other-ca.pem"

    @property
    def url(self) -> str:
        return f"ldaps://127.0.0.1:{self.port}"

    def start(self) -> Slapd:
        if not os.path.exists(SLAPD):
            raise AssertionError("slapd is not installed (make test installs Debian's slapd and ldap-utils)")
        f = self.folder
        (f / "db").mkdir(parents=True)
        ca_key, ca = make_ca(f)
        self.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        _server_cert(f, ca_key, ca)
        _other_key, other = make_ca(f, "Somebody Else's CA")
        self.other_ca_file.write_bytes(other.public_bytes(serialization.Encoding.PEM))
        (f / "ad.schema").write_text(_AD_SCHEMA)
        schema = "/etc/ldap/schema"
        (f / "slapd.conf").write_text(
            f"""
include {schema}/core.schema
include {schema}/cosine.schema
include {schema}/inetorgperson.schema
include {f}/ad.schema
pidfile {f}/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {self.ca_file}
TLSCertificateFile {f}/server.pem
TLSCertificateKeyFile {f}/server.key
database mdb
maxsize 20971520
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PW}
directory {f}/db
index objectClass eq
access to attrs=userPassword by anonymous auth by self write by * none
access to * by users read by * none
"""
        )
        self.port = _free_port()
        self.plain_port = _free_port()
        listen = f"ldaps://127.0.0.1:{self.port}/ ldaps://127.0.0.2:{self.port}/ ldap://127.0.0.1:{self.plain_port}/"
        self._log = open(f / "slapd.log", "wb")  # slapd writes to it until stop()
        self.proc = subprocess.Popen(
            [SLAPD, "-f", str(f / "slapd.conf"), "-h", listen, "-d", "0"],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        self._wait_ready()
        self._populate()
        return self

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"slapd exited: {(self.folder / 'slapd.log').read_text()[-2000:]}")
            try:
                self.admin().unbind()
                return
            except Exception:
                time.sleep(0.05)  # polling for the port to open, not waiting for an outcome
        raise AssertionError("slapd did not start listening within 30 seconds")

    def admin(self) -> Connection:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file))
        server = Server(self.url, use_ssl=True, tls=tls, connect_timeout=5)
        return Connection(server, ROOT_DN, ROOT_PW, auto_bind=True, receive_timeout=10)

    def _populate(self) -> None:
        conn = self.admin()
        add = conn.add
        add(BASE, ["dcObject", "organization"], {"o": "Example", "dc": "example"})
        for ou in ("people", "groups", "services", "staff"):
            add(f"ou={ou},{BASE}", ["organizationalUnit"], {"ou": ou})
        add(
            SERVICE_DN, ["organizationalRole", "simpleSecurityObject"], {"cn": "parley-svc", "userPassword": SERVICE_PW}
        )
        for group in (USERS_GROUP, HOSTS_GROUP, ADMINS_GROUP):
            # groupOfNames needs a member: the service account stands in for "nobody yet".
            add(group, ["groupOfNames"], {"member": [SERVICE_DN]})
        conn.unbind()

    def add_person(
        self, uid: str, password: str, *, display: str = "", groups: tuple[str, ...] = (USERS_GROUP,)
    ) -> str:
        """An OpenLDAP-style person in ou=people, added to ``groups``; returns the DN."""
        dn = f"uid={uid},ou=people,{BASE}"
        conn = self.admin()
        display = display or uid.title()
        ok = conn.add(
            dn,
            ["inetOrgPerson"],
            {
                "uid": uid,
                "cn": display,
                "sn": uid,
                "displayName": display,
                "mail": f"{uid}@example.com",
                "userPassword": password,
            },
        )
        assert ok, conn.result
        for group in groups:
            assert conn.modify(group, {"member": [(MODIFY_ADD, [dn])]}), conn.result
        conn.unbind()
        return dn

    def add_ad_user(self, sam: str, password: str, *, display: str = "", member_of: tuple[str, ...] = ()) -> str:
        """An Active Directory-style user in ou=staff (sAMAccountName, memberOf, userAccountControl)."""
        dn = f"cn={sam},ou=staff,{BASE}"
        conn = self.admin()
        ok = conn.add(
            dn,
            ["user"],
            {
                "cn": sam,
                "sn": sam,
                "sAMAccountName": sam.upper(),
                "displayName": display or sam.title(),
                "mail": f"{sam}@example.com",
                "userPassword": password,
                "userAccountControl": 512,
                **({"memberOf": list(member_of)} if member_of else {}),
            },
        )
        assert ok, conn.result
        conn.unbind()
        return dn

    def modify(self, dn: str, changes: dict[str, object]) -> None:
        conn = self.admin()
        assert conn.modify(dn, changes), conn.result
        conn.unbind()

    def delete(self, dn: str) -> None:
        conn = self.admin()
        assert conn.delete(dn), conn.result
        conn.unbind()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    """One directory server for the whole test session; tests add their own people to it."""
    server = Slapd(tmp_path_factory.mktemp("slapd")).start()
    yield server
    server.stop()
    shutil.rmtree(server.folder / "db", ignore_errors=True)
