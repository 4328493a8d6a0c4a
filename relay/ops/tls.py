"""The relay's TLS certificate: a configured one, or a self-signed ECDSA one made on first run."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.fingerprint import fingerprint_of_der


@dataclass(frozen=True)
class Certificate:
    cert_path: Path
    key_path: Path
    fingerprint: str
    self_signed: bool


def _make_self_signed(cert_path: Path, key_path: Path, hosts: list[str]) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parley relay")])
    alt: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=825))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_or_create(data_dir: Path, cert: str = "", key: str = "", host: str = "127.0.0.1") -> Certificate:
    """Use the configured certificate, or the self-signed one in ``data_dir`` (made if missing)."""
    if cert or key:
        if not (cert and key):
            raise ValueError("Set both [server] tls_cert and tls_key, or neither.")
        cert_path, key_path, self_signed = Path(cert), Path(key), False
        for p in (cert_path, key_path):
            if not p.is_file():
                raise ValueError(f"The TLS file {p} does not exist.")
    else:
        cert_path, key_path, self_signed = data_dir / "tls-cert.pem", data_dir / "tls-key.pem", True
        if not (cert_path.exists() and key_path.exists()):
            _make_self_signed(cert_path, key_path, ["localhost", "127.0.0.1", socket.gethostname(), host])
    pem = x509.load_pem_x509_certificate(cert_path.read_bytes())
    fingerprint = fingerprint_of_der(pem.public_bytes(serialization.Encoding.DER))
    return Certificate(cert_path, key_path, fingerprint, self_signed)


def server_context(certificate: Certificate) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certificate.cert_path, certificate.key_path)
    return context
