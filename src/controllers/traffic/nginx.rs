//! What nginx answers `GET /` with: the body of a `return 200 '…'` directive in the
//! mounted `conf.d` with its variables evaluated (`ngx_http_variables.c`), or the image's
//! welcome page.

/// The variables a response may print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vars {
    /// `$nginx_version`.
    pub nginx_version: String,
    /// `$server_addr`: the pod IP through a Service, 127.0.0.1 through port-forward.
    pub server_addr: String,
    /// `$server_port`: the container port reached.
    pub server_port: String,
    /// `$hostname`: the pod's name.
    pub hostname: String,
    /// `$remote_addr`.
    pub remote_addr: String,
    /// `$request_uri` and `$uri`.
    pub uri: String,
}

/// The nginx release an official image tag carries: the last build of a `1.N` line for
/// the lines the lesson uses (`1.21-alpine` → 1.21.6, `1.22-alpine` → 1.22.1), the tag's
/// own version when it names one (`1.25.3`), else `None`.
pub fn nginx_version(image: &str) -> Option<String> {
    let rest = image
        .strip_prefix("docker.io/library/nginx:")
        .or_else(|| image.strip_prefix("library/nginx:"))
        .or_else(|| image.strip_prefix("nginx:"))?;
    let version = rest.split('-').next()?;
    match version {
        "1.21" => return Some("1.21.6".into()),
        "1.22" => return Some("1.22.1".into()),
        _ => {}
    }
    let parts: Vec<&str> = version.split('.').collect();
    let numeric = parts
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (numeric && parts.len() == 3).then(|| version.to_string())
}

/// Whether an image is nginx (its response bodies follow nginx's rules).
pub fn is_nginx(image: &str) -> bool {
    let name = image.split([':', '@']).next().unwrap_or("");
    matches!(name, "nginx" | "library/nginx" | "docker.io/library/nginx")
}

/// The welcome page of the official image (`/usr/share/nginx/html/index.html`).
pub const WELCOME_PAGE: &str = "<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href=\"http://nginx.org/\">nginx.org</a>.<br/>
Commercial support is available at
<a href=\"http://nginx.com/\">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
";

/// The quoted text of the first `return 200 '…'` (or `"…"`) directive in a server block,
/// with nginx's escapes undone; `None` when there is none.
pub fn return_text(conf: &str) -> Option<String> {
    let at = conf.find("return")?;
    let after = conf[at + "return".len()..].trim_start();
    let after = after.strip_prefix("200")?.trim_start();
    let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut out = String::new();
    let mut chars = after[1..].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                'r' => out.push('\r'),
                other => out.push(other),
            },
            c if c == quote => return Some(out),
            c => out.push(c),
        }
    }
    None
}

/// Evaluates `$name` and `${name}` in a `return` text; a variable rollsim does not know
/// prints as nothing.
pub fn evaluate(text: &str, vars: &Vars) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, len) = match after.strip_prefix('{') {
            Some(inner) => match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        if len == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        out.push_str(match name {
            "nginx_version" => &vars.nginx_version,
            "server_addr" => &vars.server_addr,
            "server_port" => &vars.server_port,
            "hostname" => &vars.hostname,
            "remote_addr" => &vars.remote_addr,
            "request_uri" | "uri" | "document_uri" => &vars.uri,
            _ => "",
        });
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// What nginx answers: the `return` body of the mounted `default.conf`, else the welcome
/// page.
pub fn response_body(conf: Option<&str>, vars: &Vars) -> String {
    match conf.and_then(return_text) {
        Some(text) => evaluate(&text, vars),
        None => WELCOME_PAGE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> Vars {
        Vars {
            nginx_version: "1.21.6".into(),
            server_addr: "127.0.0.1".into(),
            server_port: "80".into(),
            hostname: "ngx-dep-6796688696-cwm8p".into(),
            remote_addr: "127.0.0.1".into(),
            uri: "/".into(),
        }
    }

    #[test]
    fn the_lessons_config_prints_version_address_and_host() {
        let conf = "server {\n  listen 80;\n  location / {\n    default_type text/plain;\n    return 200\n      'ver : $nginx_version\\nsrv : $server_addr:$server_port\\nhost: $hostname\\n';\n  }\n}\n";
        assert_eq!(
            response_body(Some(conf), &vars()),
            "ver : 1.21.6\nsrv : 127.0.0.1:80\nhost: ngx-dep-6796688696-cwm8p\n"
        );
    }

    #[test]
    fn braces_unknown_variables_and_a_lone_dollar() {
        assert_eq!(
            evaluate("${hostname}x $nope. $", &vars()),
            "ngx-dep-6796688696-cwm8px . $"
        );
    }

    #[test]
    fn image_tags_give_the_release_they_ship() {
        assert_eq!(
            nginx_version("nginx:1.21-alpine").as_deref(),
            Some("1.21.6")
        );
        assert_eq!(
            nginx_version("nginx:1.22-alpine").as_deref(),
            Some("1.22.1")
        );
        assert_eq!(nginx_version("nginx:1.25.3").as_deref(), Some("1.25.3"));
        assert_eq!(nginx_version("nginx:stable-alpine"), None);
        assert_eq!(nginx_version("httpd:2.4"), None);
        assert!(is_nginx("nginx:1.21-alpine") && !is_nginx("nginx-ingress:1"));
    }

    #[test]
    fn without_a_return_directive_nginx_serves_its_welcome_page() {
        assert!(response_body(None, &vars()).contains("<title>Welcome to nginx!</title>"));
        assert!(response_body(Some("server { listen 80; }"), &vars()).starts_with("<!DOCTYPE"));
    }
}
