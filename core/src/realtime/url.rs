//! Where the realtime endpoint is: a standard AppSync host's `appsync-api` becomes
//! `appsync-realtime-api`; any other host gets `<endpoint>/realtime`; http becomes ws.

use crate::config::ClientConfig;
use url::Url;

/// The realtime URL for a config (its `realtime_endpoint` override wins).
pub fn realtime_url(config: &ClientConfig) -> Result<String, String> {
    if let Some(explicit) = &config.realtime_endpoint {
        return Ok(to_ws(explicit));
    }
    let mut url = Url::parse(&config.endpoint).map_err(|e| e.to_string())?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let standard = host.contains(".appsync-api.") && host.ends_with(".amazonaws.com");
    if standard {
        let realtime_host = host.replacen(".appsync-api.", ".appsync-realtime-api.", 1);
        url.set_host(Some(&realtime_host))
            .map_err(|e| e.to_string())?;
    } else {
        let path = format!("{}/realtime", url.path().trim_end_matches('/'));
        url.set_path(&path);
    }
    Ok(to_ws(url.as_str()))
}

fn to_ws(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        url.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_for(endpoint: &str) -> String {
        realtime_url(&ClientConfig::builder(endpoint).build().unwrap()).unwrap()
    }

    #[test]
    fn derives_the_realtime_url_as_appsync_does() {
        assert_eq!(
            url_for("https://abc.appsync-api.eu-west-1.amazonaws.com/graphql"),
            "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
        );
        assert_eq!(
            url_for("https://api.example.com/graphql"),
            "wss://api.example.com/graphql/realtime"
        );
        assert_eq!(
            url_for("http://127.0.0.1:20002/graphql"),
            "ws://127.0.0.1:20002/graphql/realtime"
        );
        let custom = ClientConfig::builder("https://api.example.com/graphql")
            .realtime_endpoint("https://rt.example.com/socket")
            .build()
            .unwrap();
        assert_eq!(
            realtime_url(&custom).unwrap(),
            "wss://rt.example.com/socket"
        );
    }
}
