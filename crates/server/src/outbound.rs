//! The HTTP client that calls merchants' URLs (business notifications). Unless
//! `[notify] allow_private_addresses` is on, it connects only to public addresses: a name is
//! resolved here and its internal addresses dropped, so that a name which resolved to a
//! public address when the URL was given and to `127.0.0.1` now (DNS rebinding) is not
//! called; a literal address is checked before the call (`check_before_call`), since no
//! resolver sees it.

use crate::config::ServerConfig;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use unipay_core::destination::{self, InternalDestination};
use unipay_core::http_url::HttpUrl;

pub fn client(config: &ServerConfig) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .timeout(Duration::from_millis(config.notifier.timeout_ms))
        .connect_timeout(Duration::from_millis(config.notifier.timeout_ms.min(5_000)))
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64);
    if config.notify.allow_private_addresses {
        builder.build()
    } else {
        // A proxy would resolve the name itself, out of this resolver's sight.
        builder
            .no_proxy()
            .dns_resolver(Arc::new(PublicAddressesOnly))
            .build()
    }
}

/// What can be told of `url` before calling it: that it is http(s) and, unless internal
/// addresses are allowed, not a literal internal address or `localhost`.
pub fn check_before_call(url: &str, config: &ServerConfig) -> Result<(), InternalDestination> {
    let url = HttpUrl::parse(url).map_err(|_| InternalDestination)?;
    if config.notify.allow_private_addresses {
        return Ok(());
    }
    destination::check_url(&url)
}

/// Resolves with the system's resolver and keeps only the public addresses.
struct PublicAddressesOnly;

#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no public address")]
struct NoPublicAddress(String);

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = resolved
                .filter(|address| destination::is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(
                    Box::new(NoPublicAddress(host)) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(allow_private_addresses: bool) -> ServerConfig {
        let mut config = ServerConfig::default();
        config.notify.allow_private_addresses = allow_private_addresses;
        config
    }

    /// A business system on this machine, answering 200 to anything.
    async fn listening_receiver() -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new().fallback(|| async { "ok" });
        tokio::spawn(async move { axum::serve(listener, app).await });
        port
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_not_called() {
        let port = listening_receiver().await;
        // A name the system resolves to loopback without a network; no check before the call
        // here, so that it is the resolver that refuses it.
        let url = format!("http://localhost:{port}/notify");
        let refused = client(&config(false)).unwrap().post(&url).send().await;
        assert!(refused.is_err(), "called {url}");

        let allowed = client(&config(true)).unwrap().post(&url).send().await;
        assert_eq!(allowed.unwrap().status(), 200);
    }

    #[test]
    fn literal_internal_addresses_are_refused_before_the_call() {
        for url in [
            "http://127.0.0.1:9/notify",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:10.0.0.1]/",
            "ftp://shop.example/",
        ] {
            assert!(check_before_call(url, &config(false)).is_err(), "{url}");
        }
        assert!(check_before_call("http://127.0.0.1:9/notify", &config(true)).is_ok());
        assert!(check_before_call("https://shop.example/notify", &config(false)).is_ok());
    }
}
