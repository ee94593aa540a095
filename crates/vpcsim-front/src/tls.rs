//! TLS as S3 speaks it: which names a certificate carries, which versions a name negotiates.
//!
//! S3 supports TLS 1.2 and 1.3 on its public names, and TLS 1.2 only on AWS PrivateLink for S3
//! (`vpce` names) — S3 User Guide, "Protecting data in transit with encryption". TLS 1.0 and 1.1
//! are refused everywhere (rustls does not implement them), and every cipher suite offered is
//! ECDHE (rustls's ring provider has no other key exchange), as S3 requires perfect forward
//! secrecy. The version negotiated is the request's `s3:TlsVersion`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls::ServerConfig;
use vpcsim_aws::ServiceName;
use vpcsim_engine::{S3Host, TlsVersion};

use crate::ca::{Ca, CaError};

/// The subject alternative names of the certificate served for `name`: for a service name, its
/// family's name without the resource labels (bucket, `AP-ACCOUNT`, endpoint prefix) and the
/// wildcard under it — plus, for an interface endpoint of S3, the wildcards under its `bucket.`,
/// `accesspoint.` and `control.` names, as AWS's certificates for PrivateLink carry them.
/// Any other name gets a certificate for itself alone. The first name is the common name.
pub fn subject_names(name: &str) -> Vec<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let Some(mut parsed) = ServiceName::parse(&name).map(ServiceName::into_owned) else {
        return vec![name];
    };
    parsed.resource = None;
    if let Some(e) = parsed.endpoint.as_mut() {
        e.prefix = None;
    }
    let base = parsed.render();
    let mut out = vec![base.clone(), format!("*.{base}")];
    if parsed.family.is_endpoint() && parsed.service == "s3" {
        for p in ["bucket", "accesspoint", "control"] {
            out.push(format!("*.{p}.{base}"));
        }
    }
    out
}

/// The highest version `name` negotiates.
pub fn max_version(name: &str) -> TlsVersion {
    S3Host::parse(&name.to_ascii_lowercase()).map_or(TlsVersion::Tls13, |h| h.max_tls())
}

/// The server configurations of the front, one per name, made on first use.
pub struct Configs {
    ca: Arc<Ca>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    by_name: Mutex<HashMap<String, Arc<ServerConfig>>>,
}

impl std::fmt::Debug for Configs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Configs").finish_non_exhaustive()
    }
}

/// Why no configuration could be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The CA could not issue.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

impl Configs {
    /// Configurations signed by `ca`.
    pub fn new(ca: Arc<Ca>) -> Configs {
        Configs {
            ca,
            provider: Arc::new(rustls::crypto::ring::default_provider()),
            by_name: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration for a connection to `name` (the SNI name, else the CONNECT host).
    pub fn for_name(&self, name: &str) -> Result<Arc<ServerConfig>, TlsError> {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Some(c) = self
            .by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&name)
        {
            return Ok(c.clone());
        }
        let issued = self.ca.issue(&subject_names(&name))?;
        let versions: &[&'static rustls::SupportedProtocolVersion] = match max_version(&name) {
            TlsVersion::Tls13 => &[&rustls::version::TLS13, &rustls::version::TLS12],
            TlsVersion::Tls12 => &[&rustls::version::TLS12],
        };
        let mut c = ServerConfig::builder_with_provider(self.provider.clone())
            .with_protocol_versions(versions)?
            .with_no_client_auth()
            .with_single_cert(issued.chain.clone(), issued.key())?;
        c.alpn_protocols = vec![b"http/1.1".to_vec()];
        let c = Arc::new(c);
        let mut map = self.by_name.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= 4096 {
            map.clear();
        }
        map.insert(name, c.clone());
        Ok(c)
    }
}

/// `s3:TlsVersion` of a negotiated rustls version.
pub fn version_of(v: Option<rustls::ProtocolVersion>) -> Option<TlsVersion> {
    match v? {
        rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
        rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_the_certificates() {
        assert_eq!(
            subject_names("bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com"),
            [
                "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "*.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "*.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "*.accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "*.control.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            ]
        );
        assert_eq!(
            subject_names("my-bucket.s3.us-east-1.amazonaws.com"),
            ["s3.us-east-1.amazonaws.com", "*.s3.us-east-1.amazonaws.com"]
        );
        assert_eq!(subject_names("example.com"), ["example.com"]);
    }

    #[test]
    fn versions_by_name() {
        assert_eq!(
            max_version("bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com"),
            TlsVersion::Tls12
        );
        assert_eq!(max_version("s3.us-east-1.amazonaws.com"), TlsVersion::Tls13);
    }
}
