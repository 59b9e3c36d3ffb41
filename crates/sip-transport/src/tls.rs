//! TLS for `sips:` (RFC 3261 §26.2, RFC 5630) with rustls and its ring provider, TLS 1.2 and
//! 1.3 only: server configurations from PEM files that can be swapped while running, and client
//! configurations with an explicit root store.

use std::io;
use std::path::Path;
use std::sync::{Arc, RwLock};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig, SupportedProtocolVersion};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// A TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("PEM: {0}")]
    Pem(String),
    /// The certificate file has no certificate.
    #[error("no certificate found")]
    NoCertificate,
    /// rustls refused the configuration (bad key, key not matching the certificate...).
    #[error("rustls: {0}")]
    Rustls(#[from] rustls::Error),
}

impl From<rustls::pki_types::pem::Error> for TlsError {
    fn from(e: rustls::pki_types::pem::Error) -> Self {
        TlsError::Pem(e.to_string())
    }
}

/// Which TLS versions to offer. SSL and TLS 1.0/1.1 are never offered (rustls has none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TlsVersions {
    /// TLS 1.3, falling back to 1.2 (the default).
    #[default]
    Tls12And13,
    /// TLS 1.3 only.
    Tls13Only,
    /// TLS 1.2 only (for peers and tests that need it).
    Tls12Only,
}

impl TlsVersions {
    fn list(self) -> &'static [&'static SupportedProtocolVersion] {
        static BOTH: [&SupportedProtocolVersion; 2] =
            [&rustls::version::TLS13, &rustls::version::TLS12];
        static V13: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
        static V12: [&SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
        match self {
            TlsVersions::Tls12And13 => &BOTH,
            TlsVersions::Tls13Only => &V13,
            TlsVersions::Tls12Only => &V12,
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server configuration from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1
/// or SEC1).
pub fn server_config_from_pem(
    cert_chain_pem: &[u8],
    key_pem: &[u8],
    versions: TlsVersions,
) -> Result<ServerConfig, TlsError> {
    let certs = CertificateDer::pem_slice_iter(cert_chain_pem).collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)?;
    Ok(ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions.list())?
        .with_no_client_auth()
        .with_single_cert(certs, key)?)
}

/// [`server_config_from_pem`] reading two files.
pub fn server_config_from_pem_files(
    cert_chain: &Path,
    key: &Path,
    versions: TlsVersions,
) -> Result<ServerConfig, TlsError> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| TlsError::Pem(format!("{}: {e}", p.display())));
    server_config_from_pem(&read(cert_chain)?, &read(key)?, versions)
}

/// A root store holding every certificate of a PEM bundle.
pub fn root_store_from_pem(pem: &[u8]) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem) {
        roots.add(cert?)?;
    }
    if roots.is_empty() {
        return Err(TlsError::NoCertificate);
    }
    Ok(roots)
}

/// A client configuration trusting `roots`, without client certificates.
pub fn client_config(
    roots: RootCertStore,
    versions: TlsVersions,
) -> Result<ClientConfig, TlsError> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions.list())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// The server side of TLS listeners: a [`ServerConfig`] that can be replaced while running.
/// Handshakes started after [`TlsServer::reload`] use the new configuration; established
/// connections keep theirs. Clones share the configuration.
#[derive(Debug, Clone)]
pub struct TlsServer {
    current: Arc<RwLock<Arc<ServerConfig>>>,
}

impl TlsServer {
    /// Wraps a configuration.
    pub fn new(config: ServerConfig) -> Self {
        TlsServer {
            current: Arc::new(RwLock::new(Arc::new(config))),
        }
    }

    /// Loads the certificate chain and key from PEM files.
    pub fn from_pem_files(
        cert_chain: &Path,
        key: &Path,
        versions: TlsVersions,
    ) -> Result<Self, TlsError> {
        Ok(TlsServer::new(server_config_from_pem_files(
            cert_chain, key, versions,
        )?))
    }

    /// Swaps in a new configuration (a renewed certificate) without a restart.
    pub fn reload(&self, config: ServerConfig) {
        let mut slot = self.current.write().unwrap_or_else(|e| e.into_inner());
        *slot = Arc::new(config);
    }

    /// Reloads the certificate and key from PEM files. On error the old configuration stays.
    pub fn reload_pem_files(
        &self,
        cert_chain: &Path,
        key: &Path,
        versions: TlsVersions,
    ) -> Result<(), TlsError> {
        self.reload(server_config_from_pem_files(cert_chain, key, versions)?);
        Ok(())
    }

    /// The configuration new handshakes use.
    pub fn current(&self) -> Arc<ServerConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
    ) -> io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
        TlsAcceptor::from(self.current()).accept(stream).await
    }
}

/// Opens TLS on an outbound stream, verifying `name` (a DNS name or an IP address).
pub(crate) async fn connect(
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
    stream: TcpStream,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    TlsConnector::from(config).connect(name, stream).await
}

/// The negotiated version's name, for [`crate::ConnectionInfo::tls_version`].
pub(crate) fn version_name(v: Option<rustls::ProtocolVersion>) -> Option<&'static str> {
    match v? {
        rustls::ProtocolVersion::TLSv1_3 => Some("TLSv1_3"),
        rustls::ProtocolVersion::TLSv1_2 => Some("TLSv1_2"),
        _ => Some("other"),
    }
}
