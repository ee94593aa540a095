//! The local certificate authority that signs the certificates the front presents.
//!
//! Created on first use in the data folder (`ca.pem`, the certificate clients trust, and
//! `ca-key.pem`, readable by its owner only) and reused afterwards, so a CA bundle exported once
//! (`vpcsim ca export`) keeps working. Leaf certificates are issued on the fly, one per name
//! family and base name (see [`crate::tls::subject_names`]), and kept for the life of the front.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Why the CA could not be opened or a certificate issued.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// A file of the data folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The files are there but are not a CA this front made.
    #[error(
        "{path}: not a key or certificate vpcsim wrote ({detail}); move the data folder's ca.pem and ca-key.pem away to make a new CA"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// rcgen refused to sign.
    #[error("cannot issue a certificate: {0}")]
    Sign(String),
}

/// A certificate and its key, as rustls takes them.
#[derive(Debug)]
pub struct Issued {
    /// The leaf, then the CA.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's key.
    pub key: PrivatePkcs8KeyDer<'static>,
}

impl Issued {
    /// The key as rustls takes it.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(self.key.clone_key())
    }
}

/// The CA.
pub struct Ca {
    cert_pem: String,
    cert_der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    issued: Mutex<HashMap<Vec<String>, Arc<Issued>>>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

/// The CA's distinguished name and constraints: the same every time, so that the issuer made
/// from a stored key signs as the stored certificate names it.
fn ca_params() -> CertificateParams {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "vpcsim");
    dn.push(
        DnType::CommonName,
        "vpcsim local CA (test only: trust it for emulation, never in production)",
    );
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p
}

/// The folder vpcsim keeps its data in when `--data` is not given: `$XDG_DATA_HOME/vpcsim`, else
/// `~/.local/share/vpcsim`, else `.vpcsim` in the working folder.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("vpcsim");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(h).join(".local/share/vpcsim");
    }
    PathBuf::from(".vpcsim")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CaError + '_ {
    move |source| CaError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn write_new(path: &Path, text: &str, private: bool) -> Result<(), CaError> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = o.open(path).map_err(io(path))?;
    f.write_all(text.as_bytes()).map_err(io(path))
}

impl Ca {
    /// Opens the CA of `dir`, creating the folder and the CA when they are not there.
    pub fn open(dir: &Path) -> Result<Ca, CaError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca-key.pem");
        if !key_path.exists() {
            let key = KeyPair::generate().map_err(|e| CaError::Sign(e.to_string()))?;
            let cert = ca_params()
                .self_signed(&key)
                .map_err(|e| CaError::Sign(e.to_string()))?;
            write_new(&key_path, &key.serialize_pem(), true)?;
            // Another front may have made the pair at the same moment: keep theirs.
            match write_new(&cert_path, &cert.pem(), false) {
                Ok(()) => {}
                Err(CaError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        let key_pem = std::fs::read_to_string(&key_path).map_err(io(&key_path))?;
        let cert_pem = std::fs::read_to_string(&cert_path).map_err(io(&cert_path))?;
        let key = KeyPair::from_pem(&key_pem).map_err(|e| CaError::Invalid {
            path: key_path.clone(),
            detail: e.to_string(),
        })?;
        let cert_der = rustls::pki_types::pem::PemObject::from_pem_slice(cert_pem.as_bytes())
            .map_err(|e| CaError::Invalid {
                path: cert_path.clone(),
                detail: e.to_string(),
            })?;
        Ok(Ca {
            cert_pem,
            cert_der,
            issuer: Issuer::new(ca_params(), key),
            issued: Mutex::new(HashMap::new()),
        })
    }

    /// The CA certificate, PEM: what clients are told to trust.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// A certificate for these subject alternative names (the first is also the common name),
    /// issued once and then reused.
    pub fn issue(&self, names: &[String]) -> Result<Arc<Issued>, CaError> {
        let mut cache = self.issued.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = cache.get(names) {
            return Ok(i.clone());
        }
        let sign = |e: rcgen::Error| CaError::Sign(e.to_string());
        let mut p = CertificateParams::new(names.to_vec()).map_err(sign)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names.first().map_or("", String::as_str));
        p.distinguished_name = dn;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        // Python's ssl (VERIFY_X509_STRICT) wants the issuer's key named.
        p.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().map_err(sign)?;
        let cert = p.signed_by(&key, &self.issuer).map_err(sign)?;
        let issued = Arc::new(Issued {
            chain: vec![cert.der().clone(), self.cert_der.clone()],
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        });
        // Names come from clients (SNI): keep the cache bounded.
        if cache.len() >= 4096 {
            cache.clear();
        }
        cache.insert(names.to_vec(), issued.clone());
        Ok(issued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_is_made_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("vpcsim-ca-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let a = Ca::open(&dir).unwrap();
        let b = Ca::open(&dir).unwrap();
        assert_eq!(a.cert_pem(), b.cert_pem());
        let leaf = b.issue(&["s3.us-east-1.amazonaws.com".into()]).unwrap();
        assert_eq!(leaf.chain.len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("ca-key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the CA key is private");
        }
        std::fs::write(dir.join("ca-key.pem"), "not a key").unwrap();
        let e = Ca::open(&dir).unwrap_err().to_string();
        assert!(e.contains("move the data folder"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
