//! TLS with rustls: load a certificate, or generate a self-signed one for development.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use tokio_rustls::TlsAcceptor;

use crate::storage::files::publish_dir_once;

pub fn acceptor(cert_path: &Path, key_path: &Path) -> anyhow::Result<TlsAcceptor> {
    let certs = rustls_pemfile::certs(&mut std::io::BufReader::new(
        std::fs::File::open(cert_path).with_context(|| format!("cannot open certificate {}", cert_path.display()))?,
    ))
    .collect::<Result<Vec<_>, _>>()
    .context("cannot parse certificate PEM")?;
    let key = rustls_pemfile::private_key(&mut std::io::BufReader::new(
        std::fs::File::open(key_path).with_context(|| format!("cannot open key {}", key_path.display()))?,
    ))
    .context("cannot parse key PEM")?
    .context("no private key in key file")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// The development certificate and its key live together in this directory of the data
/// directory, published as one so the two always match.
pub const SELF_SIGNED_DIR: &str = "dev-tls";
pub const SELF_SIGNED_CERT: &str = "cert.pem";
pub const SELF_SIGNED_KEY: &str = "key.pem";

/// Create a self-signed certificate for `hosts` in `dir` (once; reused afterwards) and return
/// the paths of the certificate and key. Processes starting together on an empty directory all
/// end up with the same pair. The key is readable by the owner only.
pub fn self_signed(dir: &Path, hosts: Vec<String>) -> anyhow::Result<(PathBuf, PathBuf)> {
    let pair = dir.join(SELF_SIGNED_DIR);
    if !pair.exists() {
        std::fs::create_dir_all(dir)?;
        let certified = rcgen::generate_simple_self_signed(hosts).context("cannot generate a certificate")?;
        let (cert, key) = (certified.cert.pem(), certified.signing_key.serialize_pem());
        publish_dir_once(&pair, &[(SELF_SIGNED_CERT, cert.as_bytes()), (SELF_SIGNED_KEY, key.as_bytes())])
            .with_context(|| format!("cannot create {}", pair.display()))?;
    }
    Ok((pair.join(SELF_SIGNED_CERT), pair.join(SELF_SIGNED_KEY)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_racing_on_an_empty_directory_get_one_matching_pair() {
        const RACERS: usize = 8;
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let start = Arc::new(std::sync::Barrier::new(RACERS));
            let racers: Vec<_> = (0..RACERS)
                .map(|_| {
                    let (dir, start) = (dir.path().to_owned(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        let (cert, key) = self_signed(&dir, vec!["localhost".into()]).map_err(|e| e.to_string())?;
                        acceptor(&cert, &key).map_err(|e| e.to_string())?;
                        Ok::<_, String>((std::fs::read(cert).unwrap(), std::fs::read(key).unwrap()))
                    })
                })
                .collect();
            let pairs: Vec<_> = racers.into_iter().map(|r| r.join().unwrap().unwrap()).collect();
            assert!(pairs.iter().all(|p| *p == pairs[0]), "every process must serve the one certificate");
        }
    }
}
