//! TLS for the mock: a self-signed certificate for `localhost` and `127.0.0.1` (Amplify JS
//! always opens its realtime socket with `wss://`), created once and written out so apps and
//! test runners can trust it.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

/// A certificate chain and its private key, both PEM.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsIdentity {
    pub cert_pem: String,
    pub key_pem: String,
}

impl fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("cert_pem", &self.cert_pem.len())
            .finish_non_exhaustive()
    }
}

/// The certificate could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[error("TLS: {0}")]
pub struct TlsError(String);

impl TlsIdentity {
    /// A new self-signed certificate for `localhost`, `127.0.0.1` and `::1`.
    pub fn self_signed() -> Result<TlsIdentity, TlsError> {
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let certified =
            rcgen::generate_simple_self_signed(names).map_err(|e| TlsError(e.to_string()))?;
        Ok(TlsIdentity {
            cert_pem: certified.cert.pem(),
            key_pem: certified.signing_key.serialize_pem(),
        })
    }

    /// Reads `cert.pem` and `key.pem` from `dir` if both exist, else creates and writes them, so
    /// a certificate the developer trusted once stays valid across restarts.
    pub fn load_or_create(dir: &Path) -> Result<TlsIdentity, TlsError> {
        let (cert, key) = (
            dir.join("appsync-mock-cert.pem"),
            dir.join("appsync-mock-key.pem"),
        );
        if cert.exists() && key.exists() {
            let read = |p: &Path| {
                std::fs::read_to_string(p).map_err(|e| TlsError(format!("{}: {e}", p.display())))
            };
            return Ok(TlsIdentity {
                cert_pem: read(&cert)?,
                key_pem: read(&key)?,
            });
        }
        let identity = TlsIdentity::self_signed()?;
        let write = |p: &Path, text: &str| {
            std::fs::write(p, text).map_err(|e| TlsError(format!("{}: {e}", p.display())))
        };
        write(&cert, &identity.cert_pem)?;
        write(&key, &identity.key_pem)?;
        Ok(identity)
    }

    pub(crate) fn acceptor(&self) -> Result<TlsAcceptor, TlsError> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError(format!("certificate PEM: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| TlsError(format!("key PEM: {e}")))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| TlsError(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}
