//! Where a credential may be sent (contract §5.1): only to the Label Studio it belongs to.
//!
//! A client holds a key for one Label Studio, named by its base URL. Every request it sends, every
//! redirect it is asked to follow and its refresh request go through [`CredentialScope::allows`]:
//! the credential goes only to the base URL's scheme, host and port, under its path. The URL
//! grammar read here is deliberately narrow (ASCII, no user info, no dot segments, hosts compared
//! as written): anything it cannot read without doubt is "not ours", so a parser differential
//! between this code and an HTTP client can only withhold a credential, never leak one.

use core::net::{Ipv4Addr, Ipv6Addr};

use crate::error::{Error, ErrorKind, Result};

/// The path, under a base URL, at which a PAT is exchanged for an access token.
pub const REFRESH_PATH: &str = "/api/token/refresh/";

/// The Label Studio a credential belongs to: a base URL's scheme, host, port and path.
///
/// ```
/// use ls_auth_core::origin::CredentialScope;
/// let scope = CredentialScope::new("https://ls.example/labelstudio/").unwrap();
/// assert!(scope.allows("https://ls.example/labelstudio/api/projects/?page=2"));
/// assert!(scope.allows("https://LS.example:443/labelstudio"));
/// assert!(!scope.allows("https://evil.example/labelstudio/api/projects/")); // another host
/// assert!(!scope.allows("http://ls.example/labelstudio/api/projects/")); // https -> http
/// assert!(!scope.allows("https://ls.example/other-app/")); // outside the base path
/// assert!(!scope.allows("https://ls.example@evil.example/labelstudio/")); // user info
/// assert_eq!(scope.origin(), "https://ls.example");
/// assert_eq!(scope.refresh_url(), "https://ls.example/labelstudio/api/token/refresh/");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    url: Url,
    /// The base URL as given, normalised: lowercase scheme and host, default port dropped, no
    /// trailing slash.
    base: String,
}

impl CredentialScope {
    /// Reads a base URL: `http` or `https`, a host, an optional port and path; no user info,
    /// query or fragment. Anything else is `invalid_argument`, with a message saying why.
    pub fn new(base_url: &str) -> Result<Self> {
        let url = Url::parse(base_url).map_err(|why| {
            Error::with_detail(
                ErrorKind::InvalidArgument,
                format!("base URL is not usable: {why}"),
            )
        })?;
        if url.has_query_or_fragment {
            return Err(Error::with_detail(
                ErrorKind::InvalidArgument,
                "base URL is not usable: it has a query or a fragment",
            ));
        }
        let mut url = url;
        while url.path.ends_with('/') {
            url.path.pop();
        }
        let base = format!("{}{}", url.origin(), url.path);
        Ok(CredentialScope { url, base })
    }

    /// Whether a credential for this Label Studio may be sent to `url` (a request's URL, a
    /// redirect's absolute target): same scheme, host and port, and a path equal to the base
    /// path or below it. A URL this module cannot read without doubt is refused.
    pub fn allows(&self, url: &str) -> bool {
        let Ok(target) = Url::parse(url) else {
            return false;
        };
        target.scheme == self.url.scheme
            && target.host == self.url.host
            && target.port == self.url.port
            && under(&target.path, &self.url.path)
    }

    /// `scheme://host[:port]`, the port only when it is not the scheme's default: the part of a
    /// URL a message may name.
    pub fn origin(&self) -> String {
        self.url.origin()
    }

    /// The normalised base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Where a PAT is refreshed: the base URL followed by [`REFRESH_PATH`].
    pub fn refresh_url(&self) -> String {
        format!("{}{REFRESH_PATH}", self.base)
    }

    /// Whether a request to this Label Studio travels in clear text over a network: `http` to
    /// a host other than the loopback interface (`localhost`, `127.0.0.0/8`, `[::1]`).
    pub fn is_cleartext_remote(&self) -> bool {
        self.url.scheme == Scheme::Http && !self.url.is_loopback()
    }
}

/// The origin of a URL (`scheme://host[:port]`) for a message, or `None` when this module cannot
/// read it. Used to name where a refused redirect pointed.
///
/// ```
/// assert_eq!(ls_auth_core::origin::origin_of("http://EVIL.example:80/s?x").as_deref(), Some("http://evil.example"));
/// assert_eq!(ls_auth_core::origin::origin_of("javascript:alert(1)"), None);
/// ```
pub fn origin_of(url: &str) -> Option<String> {
    Url::parse(url).ok().map(|u| u.origin())
}

/// `path` is `base` or lies below it, segment by segment. `base` has no trailing slash (the root
/// is the empty string, under which every path lies).
fn under(path: &str, base: &str) -> bool {
    match path.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

/// An absolute `http(s)` URL in the narrow grammar of this module.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Url {
    scheme: Scheme,
    /// Lowercase; an IPv6 address in its canonical text form inside brackets.
    host: String,
    port: u16,
    /// Starts with `/`, or is empty for a URL without a path.
    path: String,
    has_query_or_fragment: bool,
}

impl Url {
    fn parse(text: &str) -> std::result::Result<Url, &'static str> {
        // Printable ASCII only: no spaces, controls, backslashes (which browsers and some clients
        // read as `/`) or non-ASCII (whose meaning depends on the client's IDNA handling).
        if let Some(c) = text
            .bytes()
            .find(|&b| !(0x21..0x7f).contains(&b) || b == b'\\')
        {
            return Err(if c == b'\\' {
                "it contains a backslash"
            } else {
                "it contains a character outside printable ASCII"
            });
        }
        let (scheme, rest) = text
            .split_once("://")
            .ok_or("it is not an absolute http(s) URL")?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else if scheme.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else {
            return Err("its scheme is not http or https");
        };
        let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        let (path, has_query_or_fragment) = match rest.find(['?', '#']) {
            Some(i) => (&rest[..i], true),
            None => (rest, false),
        };
        if authority.contains('@') {
            return Err("it carries user info (`user@host`)");
        }
        let (host, port) = split_port(authority)?;
        let port = match port {
            None | Some("") => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
            },
            Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse().map_err(|_| "its port is out of range")?
            }
            Some(_) => return Err("its port is not a number"),
        };
        let host = read_host(host)?;
        if path.split('/').any(|seg| {
            matches!(
                seg.to_ascii_lowercase().as_str(),
                "." | ".." | "%2e" | "%2e%2e" | ".%2e" | "%2e."
            )
        }) {
            return Err("its path has a `.` or `..` segment");
        }
        Ok(Url {
            scheme,
            host,
            port,
            path: path.to_owned(),
            has_query_or_fragment,
        })
    }

    fn origin(&self) -> String {
        let (scheme, default) = match self.scheme {
            Scheme::Http => ("http", 80),
            Scheme::Https => ("https", 443),
        };
        if self.port == default {
            format!("{scheme}://{}", self.host)
        } else {
            format!("{scheme}://{}:{}", self.host, self.port)
        }
    }

    fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        if let Some(v6) = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            return v6.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback());
        }
        self.host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
    }
}

/// Splits `host[:port]`, minding the colons of a bracketed IPv6 address.
fn split_port(authority: &str) -> std::result::Result<(&str, Option<&str>), &'static str> {
    if authority.starts_with('[') {
        let close = authority
            .find(']')
            .ok_or("its IPv6 host has no closing bracket")?;
        let (host, rest) = authority.split_at(close + 1);
        return match rest {
            "" => Ok((host, None)),
            _ => rest
                .strip_prefix(':')
                .map(|p| (host, Some(p)))
                .ok_or("text follows its IPv6 host"),
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

/// A host as compared: a DNS name or dotted IPv4 address lowercased as written, or an IPv6
/// address in canonical form. Percent-encoding and other characters are refused rather than
/// decoded, so two hosts compare equal only when every client reads them as the same text.
fn read_host(host: &str) -> std::result::Result<String, &'static str> {
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let addr: Ipv6Addr = v6.parse().map_err(|_| "its IPv6 host is not an address")?;
        return Ok(format!("[{addr}]"));
    }
    if host.is_empty() {
        return Err("it has no host");
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err("its host has characters outside letters, digits, `-` and `.`");
    }
    Ok(host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_base_covers_every_path_of_its_origin() {
        let scope = CredentialScope::new("http://127.0.0.1:8080").unwrap();
        assert!(scope.allows("http://127.0.0.1:8080"));
        assert!(scope.allows("http://127.0.0.1:8080/"));
        assert!(scope.allows("http://127.0.0.1:8080/api/x"));
        assert!(!scope.allows("http://127.0.0.1:8081/api/x"));
        assert!(!scope.allows("http://localhost:8080/api/x"));
        assert_eq!(scope.base_url(), "http://127.0.0.1:8080");
        assert!(!scope.is_cleartext_remote());
    }

    #[test]
    fn a_sub_path_base_covers_whole_segments_only() {
        let scope = CredentialScope::new("https://h/ls").unwrap();
        assert!(scope.allows("https://h/ls"));
        assert!(scope.allows("https://h/ls/"));
        assert!(scope.allows("https://h/ls?x=1"));
        assert!(!scope.allows("https://h/ls2/api"));
        assert!(!scope.allows("https://h/"));
        assert!(!scope.allows("https://h/ls/../admin"));
        assert!(!scope.allows("https://h/ls/%2E%2e/admin"));
    }

    #[test]
    fn ipv6_hosts_compare_as_addresses() {
        let scope = CredentialScope::new("http://[::1]:8080/").unwrap();
        assert!(scope.allows("http://[0:0:0:0:0:0:0:1]:8080/api"));
        assert!(!scope.is_cleartext_remote());
        assert!(CredentialScope::new("http://[::1/").is_err());
    }

    #[test]
    fn bad_base_urls_say_why() {
        for (url, why) in [
            ("ls.example", "absolute"),
            ("ftp://ls.example", "scheme"),
            ("https://u:p@ls.example", "user info"),
            ("https://ls.example/?x=1", "query"),
            ("https://ls.example:99999", "range"),
            ("https://ls.example:8x", "number"),
            ("https:///x", "no host"),
            ("https://ls.exam ple", "printable"),
            ("https://ls.example\\@evil", "backslash"),
            ("https://ls.éxample", "printable"),
        ] {
            let e = CredentialScope::new(url).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.message().contains(why), "{url}: {}", e.message());
        }
    }

    #[test]
    fn cleartext_to_another_host_is_flagged() {
        assert!(CredentialScope::new("http://ls.example")
            .unwrap()
            .is_cleartext_remote());
        assert!(CredentialScope::new("http://10.0.0.5:8080")
            .unwrap()
            .is_cleartext_remote());
        assert!(!CredentialScope::new("https://ls.example")
            .unwrap()
            .is_cleartext_remote());
        assert!(!CredentialScope::new("http://LOCALHOST:8080")
            .unwrap()
            .is_cleartext_remote());
    }
}
