//! The status page: one static HTML document rendered from the status JSON (no scripts, no
//! build step), refreshed by the browser every few seconds.

use serde_json::Value;

/// `s` with the five HTML metacharacters escaped.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => escape(s),
        Value::Null => "—".into(),
        v => escape(&v.to_string()),
    }
}

fn short(v: &Value) -> String {
    let s = v.as_str().unwrap_or("");
    escape(s.get(..16).unwrap_or(s))
}

fn rows(items: &Value, f: impl Fn(&Value) -> String) -> String {
    let list = items.as_array().map(Vec::as_slice).unwrap_or(&[]);
    if list.is_empty() {
        return "<tr><td colspan=\"6\" class=\"none\">none</td></tr>".into();
    }
    list.iter().map(f).collect()
}

const STYLE: &str = "body{font-family:sans-serif;margin:24px;color:#1b1f24;background:#fff}\
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:22px 0 6px}\
table{border-collapse:collapse;min-width:560px}td,th{border:1px solid #c8ccd0;padding:4px 10px;text-align:left;font-size:14px}\
th{background:#e8eaed}code{font-size:13px}.none{color:#6a737d}\
tr.chain td{background:#d4edda}tr.refused td{background:#f8d7da}tr.active td{background:#fff3cd}\
.meta{color:#444;font-size:14px}";

/// The page for a status document (as `Store::status` returns it).
pub fn render(s: &Value) -> String {
    let circuits = rows(&s["circuits"], |c| {
        format!(
            "<tr class=\"chain\"><td>{}</td><td>{}</td><td><code>{}…</code></td></tr>",
            text(&c["name"]),
            text(&c["contributions"]),
            short(&c["head_hash"])
        )
    });
    let queue = rows(&s["queue"], |q| {
        let class = if q["state"] == "active" { " class=\"active\"" } else { "" };
        format!(
            "<tr{class}><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&q["participant"]),
            text(&q["name"]),
            text(&q["state"])
        )
    });
    let recent = rows(&s["recent"], |r| {
        format!(
            "<tr><td>{}</td><td>#{}</td><td>{}</td><td><code>{}…</code></td></tr>",
            text(&r["circuit"]),
            text(&r["index"]),
            text(&r["participant"]),
            short(&r["contribution_hash"])
        )
    });
    let refused = rows(&s["refused"], |r| {
        format!(
            "<tr class=\"refused\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            text(&r["participant"]),
            text(&r["circuit"]),
            text(&r["outcome"]),
            text(&r["reason"])
        )
    });
    let state = if s["finalized"] == true { "finalized" } else { "open" };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" content=\"5\">\
<title>{name} — tauforge ceremony</title><style>{STYLE}</style></head><body>\
<h1>{name}</h1><p class=\"meta\">Ceremony {state} · {participants} participants · {waiting} waiting · \
beacon: {beacon} (commitment <code>{commit}…</code>)</p>\
<h2>Circuits</h2><table id=\"circuits\"><tr><th>circuit</th><th>contributions</th><th>head</th></tr>{circuits}</table>\
<h2>Queue</h2><table id=\"queue\"><tr><th>id</th><th>participant</th><th>state</th></tr>{queue}</table>\
<h2>Recent contributions</h2><table id=\"recent\"><tr><th>circuit</th><th>index</th><th>participant</th><th>contribution hash</th></tr>{recent}</table>\
<h2>Refused attempts</h2><table id=\"refused\"><tr><th>participant</th><th>circuit</th><th>outcome</th><th>reason</th></tr>{refused}</table>\
</body></html>\n",
        name = text(&s["ceremony"]),
        participants = text(&s["participants"]),
        waiting = text(&s["waiting"]),
        beacon = text(&s["beacon"]["source"]),
        commit = short(&s["beacon"]["commitment"]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_everything_it_shows() {
        let page = render(&json!({
            "ceremony": "<script>x</script>", "finalized": false, "participants": 1, "waiting": 0,
            "beacon": {"source": "drand", "commitment": "ab"},
            "circuits": [], "queue": [], "recent": [],
            "refused": [{"participant": "Mallory\"", "circuit": null, "outcome": "refused", "reason": "a < b"}],
        }));
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;") && page.contains("Mallory&quot;") && page.contains("a &lt; b"));
        assert!(page.contains("class=\"refused\""));
    }
}
