//! TLS for every store: the one place that turns (mode, root certificates)
//! into a rustls [`ClientConfig`], and a rustls failure into a log-safe
//! reason. Store-agnostic: PostgreSQL ([`super::postgres`]) maps libpq's
//! `sslmode`/`sslrootcert` onto it; other stores map their own option names
//! (MySQL's `ssl-mode` has the same five levels, `rediss://` is
//! [`TlsMode::VerifyFull`]).
//!
//! Pure Rust: rustls with the `ring` provider (no OpenSSL). The system root
//! store is read with `rustls-native-certs` (the OS store: `/etc/ssl/certs`
//! on Linux, honouring `SSL_CERT_FILE`/`SSL_CERT_DIR`, the macOS keychain,
//! the Windows store), which is what libpq's `sslrootcert=system` means
//! (OpenSSL's default paths) and what picks up a company's own CA; the
//! compiled-in Mozilla list of `webpki-roots` would not.
//!
//! Verification levels:
//! - [`TlsMode::Prefer`] / [`TlsMode::Require`]: encrypt, accept any
//!   certificate (libpq's rule), but the handshake signatures are still
//!   checked against the presented key;
//! - [`TlsMode::VerifyCa`]: the chain must lead to a trusted root, any host name;
//! - [`TlsMode::VerifyFull`]: the chain and the host name (DNS or IP SAN).

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// How much TLS a connection gets. `Prefer` differs from `Require` only in
/// what the store does when the server offers no TLS (plaintext vs failure);
/// the certificate checks are the same (none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    /// libpq's `sslmode` names (`allow` is read as `prefer`: it encrypts
    /// whenever the server offers TLS, which `allow` only does when it must).
    pub fn from_libpq(s: &str) -> Result<TlsMode, TlsError> {
        Ok(match s {
            "disable" => TlsMode::Disable,
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            other => {
                return Err(TlsError(format!(
                "sslmode {other:?} is not one of disable, prefer, require, verify-ca, verify-full"
            )))
            }
        })
    }

    pub fn as_libpq(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    /// TLS is attempted.
    pub fn encrypts(self) -> bool {
        self != TlsMode::Disable
    }

    /// A server without TLS is a failure, not a plaintext connection.
    pub fn mandatory(self) -> bool {
        matches!(
            self,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull
        )
    }

    /// The certificate chain is verified against root certificates.
    pub fn verifies(self) -> bool {
        matches!(self, TlsMode::VerifyCa | TlsMode::VerifyFull)
    }
}

/// Where trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCerts {
    /// The operating system's store (rustls-native-certs).
    System,
    /// A PEM file with one or more CA certificates.
    File(PathBuf),
    /// PEM text given directly.
    Pem(Vec<u8>),
}

impl fmt::Display for RootCerts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RootCerts::System => f.write_str("the system CA store"),
            RootCerts::File(p) => write!(f, "{}", p.display()),
            RootCerts::Pem(_) => f.write_str("the given PEM certificates"),
        }
    }
}

/// A TLS configuration problem (reported when the store is built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(pub String);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

/// The process-wide crypto provider (ring), built once.
pub fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    Arc::clone(P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())))
}

/// The client configuration for `mode`. `roots` is read (and must yield at
/// least one certificate) only when the mode verifies. TLS 1.2 and 1.3, the
/// provider's safe defaults, no client certificate.
pub fn client_config(mode: TlsMode, roots: &RootCerts) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = match mode {
        TlsMode::Disable => {
            return Err(TlsError(
                "TLS is disabled (mode disable): no TLS configuration to build".into(),
            ))
        }
        TlsMode::Prefer | TlsMode::Require => Arc::new(Verifier {
            chain: None,
            algs: provider.signature_verification_algorithms,
        }),
        TlsMode::VerifyCa => Arc::new(Verifier {
            chain: Some(Arc::new(load_roots(roots)?)),
            algs: provider.signature_verification_algorithms,
        }),
        TlsMode::VerifyFull => WebPkiServerVerifier::builder_with_provider(
            Arc::new(load_roots(roots)?),
            Arc::clone(&provider),
        )
        .build()
        .map_err(|e| TlsError(format!("cannot build the certificate verifier: {e}")))?,
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError(format!("TLS configuration: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The trusted roots. Fails when none can be read, so that verification
/// never runs against an empty store (which would deny every server with a
/// confusing "unknown issuer").
pub fn load_roots(roots: &RootCerts) -> Result<RootCertStore, TlsError> {
    let mut store = RootCertStore::empty();
    match roots {
        RootCerts::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(" ({e})"))
                    .unwrap_or_default();
                return Err(TlsError(format!(
                    "no CA certificates found in the system store{why}: install the ca-certificates package, \
                     or name your provider's CA file with sslrootcert=<file>"
                )));
            }
        }
        RootCerts::File(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                TlsError(format!(
                    "cannot read the root certificate file {}: {e}",
                    path.display()
                ))
            })?;
            add_pem(&mut store, &pem)
                .map_err(|e| TlsError(format!("root certificate file {}: {e}", path.display())))?;
        }
        RootCerts::Pem(pem) => add_pem(&mut store, pem)?,
    }
    Ok(store)
}

fn add_pem(store: &mut RootCertStore, pem: &[u8]) -> Result<(), TlsError> {
    let mut n = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| TlsError(format!("not valid PEM ({e})")))?;
        store
            .add(cert)
            .map_err(|e| TlsError(format!("a certificate cannot be used as a root ({e})")))?;
        n += 1;
    }
    if n == 0 {
        return Err(TlsError(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in it".into(),
        ));
    }
    Ok(())
}

/// The rustls name for `host`: an IP address or a DNS name.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    let h = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    ServerName::try_from(h.to_owned())
        .map_err(|_| TlsError(format!("{host:?} cannot be used as a TLS server name")))
}

/// The verifier for `require`/`prefer` (`chain: None`: any certificate, but
/// the handshake must be signed by the key of the certificate presented) and
/// `verify-ca` (`chain: Some(roots)`: also the chain, with signatures,
/// validity period and server-auth usage, up to a trusted root, without the
/// host name check). `verify-full` uses rustls' own WebPKI verifier.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<RootCertStore>>,
    algs: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Some(roots) = &self.chain {
            let cert = ParsedCertificate::try_from(end_entity)?;
            rustls::client::verify_server_cert_signed_by_trust_anchor(
                &cert,
                roots,
                intermediates,
                now,
                self.algs.all,
            )?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// A log-safe reason for a TLS failure somewhere in an error's source chain
/// (including inside `std::io::Error`, where tokio-rustls puts it), or `None`
/// when the chain holds no rustls error. Names what is wrong with the
/// certificate; the text never contains anything from a request.
pub fn describe(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(r) = e.downcast_ref::<rustls::Error>() {
            return Some(describe_rustls(r));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    return Some(describe_rustls(r));
                }
            }
        }
        cur = e.source();
    }
    None
}

fn iso(t: &UnixTime) -> String {
    i64::try_from(t.as_secs())
        .ok()
        .and_then(|s| s.checked_mul(1000))
        .and_then(super::time::format_iso_ms)
        .unwrap_or_else(|| format!("{} s since 1970", t.as_secs()))
}

/// One rustls error as a sentence.
pub fn describe_rustls(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(c) => {
            format!("server certificate rejected: {}", describe_cert(c))
        }
        rustls::Error::AlertReceived(a) => {
            format!("the server ended the TLS handshake (alert: {a:?})")
        }
        rustls::Error::PeerIncompatible(p) => {
            format!("no TLS version or cipher in common with the server ({p:?})")
        }
        other => format!("TLS handshake failed: {other}"),
    }
}

fn describe_cert(c: &CertificateError) -> String {
    match c {
        CertificateError::UnknownIssuer => {
            "it is not signed by a trusted CA (unknown issuer: the root certificates configured do not include the server's CA)".into()
        }
        CertificateError::Expired => "it has expired".into(),
        CertificateError::ExpiredContext { time, not_after } => {
            format!("it expired at {} (now {})", iso(not_after), iso(time))
        }
        CertificateError::NotValidYet => "it is not valid yet".into(),
        CertificateError::NotValidYetContext { time, not_before } => {
            format!("it is not valid before {} (now {})", iso(not_before), iso(time))
        }
        CertificateError::NotValidForName => "it is not valid for the host name connected to".into(),
        CertificateError::NotValidForNameContext { expected, presented } => {
            let host = match expected {
                ServerName::DnsName(d) => d.as_ref().to_owned(),
                ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
                _ => "the host".into(),
            };
            let names = if presented.is_empty() { "no names".to_owned() } else { presented.join(", ") };
            format!("it is not valid for the host name {host:?} (it names {names})")
        }
        CertificateError::Revoked => "it has been revoked".into(),
        CertificateError::BadSignature => "its signature is invalid".into(),
        CertificateError::BadEncoding => "it is not a valid X.509 certificate".into(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "it is not valid for TLS server authentication (extended key usage)".into()
        }
        other => format!("{other:?}"),
    }
}

/// RFC 5929 `tls-server-end-point` channel binding data for a DER
/// certificate: its hash with the hash of its signature algorithm (SHA-256
/// for MD5 and SHA-1), as PostgreSQL's SCRAM-SHA-256-PLUS expects. `None`
/// for algorithms without a defined hash (Ed25519, RSA-PSS).
pub fn tls_server_end_point(cert_der: &[u8]) -> Option<Vec<u8>> {
    use sha2::Digest;
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    let (_, body, _) = der_tlv(cert_der, 0x30)?;
    let (_, _tbs, rest) = der_tlv(body, 0x30)?;
    let (_, alg, _) = der_tlv(rest, 0x30)?;
    let (_, oid, _) = der_tlv(alg, 0x06)?;
    const RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01];
    const ECDSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04];
    let bits = match oid {
        [p @ .., 0x04 | 0x05 | 0x0b] if p == RSA => 256, // md5, sha1, sha256 WithRSA
        [p @ .., 0x0c] if p == RSA => 384,
        [p @ .., 0x0d] if p == RSA => 512,
        [p @ .., 0x01] if p == ECDSA => 256, // ecdsa-with-SHA1
        [p @ .., 0x03, 0x02] if p == ECDSA => 256,
        [p @ .., 0x03, 0x03] if p == ECDSA => 384,
        [p @ .., 0x03, 0x04] if p == ECDSA => 512,
        _ => return None,
    };
    Some(match bits {
        256 => sha2::Sha256::digest(cert_der).to_vec(),
        384 => sha2::Sha384::digest(cert_der).to_vec(),
        _ => sha2::Sha512::digest(cert_der).to_vec(),
    })
}

/// One DER TLV with the expected tag: (header length, contents, the rest).
fn der_tlv(b: &[u8], tag: u8) -> Option<(usize, &[u8], &[u8])> {
    if *b.first()? != tag {
        return None;
    }
    let first = *b.get(1)?;
    let (len, hdr) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((hdr, b.get(hdr..end)?, &b[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        for (s, m) in [
            ("disable", TlsMode::Disable),
            ("prefer", TlsMode::Prefer),
            ("require", TlsMode::Require),
            ("verify-ca", TlsMode::VerifyCa),
            ("verify-full", TlsMode::VerifyFull),
        ] {
            assert_eq!(TlsMode::from_libpq(s).unwrap(), m);
            assert_eq!(m.as_libpq(), s);
        }
        assert_eq!(TlsMode::from_libpq("allow").unwrap(), TlsMode::Prefer);
        assert!(TlsMode::from_libpq("verify_full").is_err());
        assert!(TlsMode::from_libpq("REQUIRE").is_err());
        assert!(
            !TlsMode::Prefer.mandatory()
                && TlsMode::Require.mandatory()
                && !TlsMode::Require.verifies()
        );
        assert!(TlsMode::VerifyCa.verifies() && !TlsMode::Disable.encrypts());
    }

    #[test]
    fn configs() {
        assert!(client_config(TlsMode::Disable, &RootCerts::System).is_err());
        // No roots are read when nothing is verified.
        assert!(client_config(
            TlsMode::Require,
            &RootCerts::File("/nonexistent/ca.pem".into())
        )
        .is_ok());
        assert!(client_config(TlsMode::Prefer, &RootCerts::Pem(Vec::new())).is_ok());
        let e = client_config(
            TlsMode::VerifyFull,
            &RootCerts::File("/nonexistent/ca.pem".into()),
        )
        .unwrap_err();
        assert!(e.0.contains("/nonexistent/ca.pem"), "{e}");
        let e = client_config(TlsMode::VerifyCa, &RootCerts::Pem(b"hello".to_vec())).unwrap_err();
        assert!(e.0.contains("no PEM certificate"), "{e}");
        let bad = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec();
        assert!(client_config(TlsMode::VerifyCa, &RootCerts::Pem(bad)).is_err());
    }

    #[test]
    fn names() {
        assert!(matches!(
            server_name("db.example.com"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(matches!(
            server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(server_name("[::1]"), Ok(ServerName::IpAddress(_))));
        assert!(server_name("bad host").is_err());
    }

    #[test]
    fn reasons() {
        let e = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert!(describe(&e).unwrap().contains("not signed by a trusted CA"));
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        assert!(describe(&io).unwrap().contains("unknown issuer"));
        let exp = rustls::Error::InvalidCertificate(CertificateError::ExpiredContext {
            time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_700_000_000)),
            not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_600_000_000)),
        });
        assert_eq!(describe(&exp).unwrap(), "server certificate rejected: it expired at 2020-09-13T12:26:40.000Z (now 2023-11-14T22:13:20.000Z)");
        assert!(describe(&std::io::Error::other("plain")).is_none());
    }

    #[test]
    fn end_point_hash() {
        // A minimal structure: SEQUENCE { SEQUENCE {}, SEQUENCE { OID sha256WithRSAEncryption } }
        let mut c = vec![0x30, 0x0f, 0x30, 0x00, 0x30, 0x0b, 0x06, 0x09];
        c.extend_from_slice(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]);
        use sha2::Digest;
        assert_eq!(
            tls_server_end_point(&c).unwrap(),
            sha2::Sha256::digest(&c).to_vec()
        );
        c[16] = 0x0c;
        assert_eq!(tls_server_end_point(&c).unwrap().len(), 48);
        c[16] = 0x0a; // RSASSA-PSS: undefined here
        assert!(tls_server_end_point(&c).is_none());
        assert!(tls_server_end_point(&[0x30, 0x85, 1, 2, 3, 4, 5]).is_none());
        assert!(tls_server_end_point(&[]).is_none());
    }
}
