"""The electronic seal of the PDF forms: a PAdES baseline B signature made with pyHanko.

The seal is the structure's or the platform's certificate (not the physician's signature: the
form leaves room for the handwritten one), so that anyone can check that a form comes from the
platform and that not one byte of it changed since (`pyhanko sign validate`, or any PAdES
reader). It is added as an incremental update, which keeps the PDF/UA tags and metadata of the
rendered file.

- Production: the certificate and its key are a PKCS#12 file (`APA_PDF_SEAL_P12`) and its
  password (`APA_PDF_SEAL_PASSWORD`); the settings refuse to start without them when sealing is
  on (`APA_PDF_SEAL`).
- Development and tests: without `APA_PDF_SEAL_P12`, a self-signed development certificate is
  made on first use and kept in `APA_PDF_SEAL_DEV_DIR` (gitignored: `dev-seal.p12`, and
  `dev-seal.pem`, the certificate to trust when validating), or in memory when that folder
  cannot be written.

Cost: the signer is loaded once per process; a seal is one RSA signature and an incremental
write of the file (the size of the CMS is reserved up front, so no dry-run signature).
"""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

SEAL_FIELD_NAME = "CachetAPAPortal"
# Room for the CMS beyond its certificates (signature, signed attributes): reserved up front, so
# that pyHanko makes no dry-run signature to measure it.
SEAL_BYTES_RESERVED_BEYOND_CERTIFICATES = 3 * 1024
DEV_P12_NAME = "dev-seal.p12"
DEV_PEM_NAME = "dev-seal.pem"
DEV_P12_PASSWORD = b"apa-portal-development-only"
DEV_SUBJECT = "APA Portal - cachet de developpement (non valable)"


def sealing_enabled() -> bool:
    return bool(settings.APA_PDF_SEAL)


def make_development_pkcs12(password: bytes = DEV_P12_PASSWORD) -> tuple[bytes, bytes]:
    """A self-signed sealing certificate and its key: (PKCS#12 bytes, certificate PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "APA Portal (developpement)"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEV_SUBJECT),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"apa-portal-dev-seal",
        key,
        certificate,
        None,
        serialization.BestAvailableEncryption(password),
    )
    return p12, certificate.public_bytes(serialization.Encoding.PEM)


def _development_pkcs12() -> tuple[bytes, bytes]:
    """The development certificate kept in APA_PDF_SEAL_DEV_DIR, made there on first use."""
    folder = Path(settings.APA_PDF_SEAL_DEV_DIR)
    p12_path = folder / DEV_P12_NAME
    if p12_path.is_file():
        return p12_path.read_bytes(), DEV_P12_PASSWORD
    p12, pem = make_development_pkcs12()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in ((DEV_PEM_NAME, pem), (DEV_P12_NAME, p12)):
            # Atomic: two processes making one at the same time each leave a whole file.
            handle, temporary = tempfile.mkstemp(dir=folder)
            with os.fdopen(handle, "wb") as out:
                out.write(content)
            os.replace(temporary, folder / name)
    except OSError:
        logger.warning("Development seal certificate kept in memory (%s not writable).", folder)
    return p12, DEV_P12_PASSWORD


@cache
def _key_reusing_signer_class():
    """pyHanko's `SimpleSigner`, keeping its private key loaded (built lazily, like pyHanko).

    `SimpleSigner.sign_raw` loads the key from DER at every signature, and loading an RSA key
    checks it: 45 ms of a 60 ms seal. The key is loaded once here; RSA (PKCS#1 v1.5) and ECDSA
    signatures use it, any other mechanism goes through pyHanko's own code.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.signers import SimpleSigner

    class KeyReusingSigner(SimpleSigner):
        def __init__(self, *, loaded_key, **kwargs) -> None:
            super().__init__(**kwargs)
            self.loaded_key = loaded_key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
            if mechanism == "rsassa_pkcs1v15":
                return self.loaded_key.sign(data, padding.PKCS1v15(), hash_algorithm)
            if mechanism == "ecdsa":
                return self.loaded_key.sign(data, ec.ECDSA(hash_algorithm))
            return super().sign_raw(data, digest_algorithm)

    return KeyReusingSigner


def load_signer(data: bytes, password: bytes | None):
    """A pyHanko signer from PKCS#12 bytes (its key, its certificate and any chain in it)."""
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, certificate, chain = pkcs12.load_key_and_certificates(data, password)
    if key is None or certificate is None:
        raise ValueError("The sealing PKCS#12 holds no key or no certificate.")

    def asn1(cert):
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    registry = SimpleCertificateStore()
    registry.register_multiple([asn1(cert) for cert in chain])
    return _key_reusing_signer_class()(
        loaded_key=key,
        signing_cert=asn1(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
        cert_registry=registry,
    )


@cache
def signer():
    """The signer of this process (the PKCS#12 is read and decrypted once)."""
    if settings.APA_PDF_SEAL_P12:
        data = Path(settings.APA_PDF_SEAL_P12).read_bytes()
        password = settings.APA_PDF_SEAL_PASSWORD.encode() or None
    else:
        data, password = _development_pkcs12()
    return load_signer(data, password)


@cache
def _bytes_reserved() -> int:
    """Room for the CMS: its certificates (the seal's and its chain, embedded) and the rest, in
    hexadecimal digits (two a byte), as pyHanko counts it."""
    sealer = signer()
    certificates = [sealer.signing_cert, *sealer.cert_registry]
    size = SEAL_BYTES_RESERVED_BEYOND_CERTIFICATES + sum(len(c.dump()) for c in certificates)
    return 2 * size


def seal_pdf(content: bytes, *, reason: str, location: str = "") -> bytes:
    """`content` sealed: a PAdES baseline B signature in an incremental update (invisible field:
    the form's signature box stays free for the physician's handwritten signature).

    pyHanko's synchronous API runs its own event loop (`asyncio.run`), which cannot start in a
    thread that already runs one (an async caller, Playwright's sync API in the browser tests):
    there, the seal is made in a worker thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: the usual case (WSGI, the tasks' worker)
        return _seal_pdf(content, reason=reason, location=location)
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(_seal_pdf, content, reason=reason, location=location).result()


def _seal_pdf(content: bytes, *, reason: str, location: str) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD_NAME,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=location or None,
        name="APA Portal",
    )
    output = signers.sign_pdf(writer, metadata, signer=signer(), bytes_reserved=_bytes_reserved())
    return output.getvalue()
