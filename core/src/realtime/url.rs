//! Where the realtime endpoint is: a standard AppSync host's `appsync-api` becomes
//! `appsync-realtime-api`; any other host gets `<endpoint>/realtime`; http becomes ws.

use crate::config::ClientConfig;
use crate::url::Url;

/// The realtime URL for a config (its `realtime_endpoint` override wins).
pub fn realtime_url(config: &ClientConfig) -> Result<String, String> {
    if let Some(explicit) = &config.realtime_endpoint {
        return Ok(to_ws(explicit));
    }
    let mut url = Url::parse(&config.endpoint)?;
    let standard = url.host.contains(".appsync-api.") && url.host.ends_with(".amazonaws.com");
    if standard {
        url.host = url
            .host
            .replacen(".appsync-api.", ".appsync-realtime-api.", 1);
    } else {
        url.rest = format!("{}/realtime", url.path().trim_end_matches('/'));
    }
    Ok(to_ws(&url.to_string()))
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
