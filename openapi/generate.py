#!/usr/bin/env python3
"""Embeds openapi/openapi.yaml into the server: writes Sources/ChatReferenceServer/OpenAPI/OpenAPIDocument.swift
with the YAML (byte for byte), the same document as JSON, and a self-contained HTML reference page.

openapi/openapi.yaml is the single source. SwiftPM resources cannot reach outside the target directory and a
symlinked resource is copied as a link, so the server carries the document as generated Swift strings instead;
`OpenAPITests.embeddedYAMLIsTheFile` fails when the YAML string and the file differ, and `--check` (run by
openapi/check.sh) fails when any of the three strings is stale.

Usage: openapi/generate.py [--check]        (needs PyYAML: pip install pyyaml, or schemathesis which brings it)
"""
import html
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "openapi", "openapi.yaml")
TARGET = os.path.join(ROOT, "Sources", "ChatReferenceServer", "OpenAPI", "OpenAPIDocument.swift")
METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]


def esc(text):
    return html.escape(str(text), quote=True)


def ref_name(schema):
    if not isinstance(schema, dict):
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return "array of " + (ref_name(schema.get("items", {})) or "any")
    extra = []
    if "const" in schema:
        extra.append("= %s" % json.dumps(schema["const"]))
    if "pattern" in schema:
        extra.append("pattern %s" % schema["pattern"])
    if "maxLength" in schema or "minLength" in schema:
        extra.append("length %s-%s" % (schema.get("minLength", 0), schema.get("maxLength", "")))
    return " ".join([kind or "any"] + extra)


def resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        target = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        merged = dict(target)
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        node = merged
    return node


def anchor(method, path):
    return "op-%s-%s" % (method, "".join(c if c.isalnum() else "-" for c in path))


def examples_html(content):
    out = []
    for name, example in (content.get("examples") or {}).items():
        value = json.dumps(example.get("value"), ensure_ascii=False)
        source = example.get("x-fixture") or (
            "error code " + example["x-error-code"] if "x-error-code" in example else ""
        )
        out.append(
            "<div class=ex><span>example <b>%s</b>%s</span><pre>%s</pre></div>"
            % (esc(name), (" &middot; " + esc(source)) if source else "", esc(value))
        )
    return "".join(out)


def render_html(doc):
    info = doc["info"]
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s</title>" % esc(info["title"]),
        "<style>body{font:15px/1.45 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "code,pre{font:13px ui-monospace,monospace}pre{background:#f5f5f5;padding:.5em;overflow-x:auto;"
        "white-space:pre-wrap}table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;"
        "padding:.25em .5em;text-align:left;vertical-align:top}.op{border-top:2px solid #ddd;margin-top:1.5em}"
        ".m{display:inline-block;min-width:5em;font-weight:bold;text-transform:uppercase}.dep{color:#a00}"
        ".ex span{font-size:12px;color:#555}</style></head><body>",
        "<h1>%s <small>%s</small></h1>" % (esc(info["title"]), esc(info["version"])),
        "<p>Generated from <a href=\"/openapi.yaml\">/openapi.yaml</a> (also <a href=\"/openapi.json\">"
        "/openapi.json</a>) by <code>openapi/generate.py</code>. No scripts, no external resources.</p>",
        "<pre>%s</pre>" % esc(info.get("description", "")),
        "<h2>Endpoints</h2><table><tr><th>method</th><th>path</th><th>summary</th><th>auth</th></tr>",
    ]
    global_security = doc.get("security", [])
    operations = []
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                operations.append((path, method, item[method], item.get("parameters", [])))
    for path, method, op, _ in operations:
        security = op.get("security", global_security)
        auth = ", ".join(sorted({name for req in security for name in req})) or "none"
        parts.append(
            '<tr><td class=m>%s</td><td><a href="#%s"><code>%s</code></a></td><td>%s%s</td><td>%s</td></tr>'
            % (
                esc(method),
                anchor(method, path),
                esc(path),
                esc(op.get("summary", "")),
                " <span class=dep>(deprecated)</span>" if op.get("deprecated") else "",
                esc(auth),
            )
        )
    parts.append("</table>")
    for path, method, op, shared in operations:
        parts.append('<div class=op id="%s"><h3><span class=m>%s</span> <code>%s</code></h3>' % (
            anchor(method, path), esc(method), esc(path)))
        parts.append("<p><b>%s</b></p>" % esc(op.get("summary", "")))
        if op.get("description"):
            parts.append("<pre>%s</pre>" % esc(op["description"]))
        security = op.get("security", global_security)
        parts.append("<p>Auth: %s</p>" % esc(" or ".join(
            " + ".join(req) if req else "none" for req in security) or "none"))
        params = [resolve(doc, p) for p in shared + op.get("parameters", [])]
        if params:
            parts.append("<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th>"
                         "<th>description</th></tr>")
            for p in params:
                parts.append("<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td><code>%s</code></td>"
                             "<td>%s</td></tr>" % (esc(p["name"]), esc(p["in"]), "yes" if p.get("required")
                                                   else "no", esc(ref_name(p.get("schema"))),
                                                   esc(p.get("description", ""))))
            parts.append("</table>")
        body = op.get("requestBody")
        if body:
            body = resolve(doc, body)
            parts.append("<p>Request body%s:</p><ul>" % (" (required)" if body.get("required") else ""))
            for media, content in body.get("content", {}).items():
                parts.append("<li><code>%s</code>: <code>%s</code>%s</li>" % (
                    esc(media), esc(ref_name(content.get("schema"))), examples_html(content)))
            parts.append("</ul>")
        parts.append("<table><tr><th>status</th><th>description</th><th>body</th><th>headers</th></tr>")
        for status, response in op.get("responses", {}).items():
            response = resolve(doc, response)
            bodies = "".join("<code>%s</code>: <code>%s</code>%s<br>" % (
                esc(media), esc(ref_name(content.get("schema"))), examples_html(content))
                for media, content in (response.get("content") or {}).items()) or "empty"
            headers = ", ".join("<code>%s</code>" % esc(h) for h in (response.get("headers") or {}))
            parts.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % (
                esc(status), esc(response.get("description", "")), bodies, headers))
        parts.append("</table>")
        frames = op.get("x-websocket-frames")
        if frames:
            parts.append("<p>Websocket frames: server &rarr; client %s; client &rarr; server %s; see <code>%s</code>.</p>"
                         % (esc(", ".join(f.rsplit("/", 1)[-1] for f in frames.get("server", [])) or "none"),
                            esc(", ".join(f.rsplit("/", 1)[-1] for f in frames.get("client", [])) or "none"),
                            esc(frames.get("spec", ""))))
            parts.append(examples_html(frames))
        parts.append("</div>")
    parts.append("<h2>Security schemes</h2><table><tr><th>name</th><th>type</th><th>description</th></tr>")
    for name, scheme in doc["components"]["securitySchemes"].items():
        kind = scheme["type"] + (" (%s %s)" % (scheme["in"], scheme["name"]) if scheme["type"] == "apiKey"
                                 else " (%s)" % scheme.get("scheme", ""))
        parts.append("<tr><td><code>%s</code></td><td>%s</td><td>%s</td></tr>" % (
            esc(name), esc(kind), esc(scheme.get("description", ""))))
    parts.append("</table><h2>Schemas</h2>")
    for name, schema in doc["components"]["schemas"].items():
        parts.append('<h3 id="schema-%s">%s</h3><pre>%s</pre>' % (
            esc(name), esc(name), esc(json.dumps(schema, indent=2, ensure_ascii=False))))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def swift_string(name, text):
    delimiter = "##"
    assert '"' + delimiter not in text and "\\" + delimiter not in text, "pick a longer raw-string delimiter"
    return '    static let %s = %s"""\n%s\n"""%s\n' % (name, delimiter, text, delimiter)


def generate():
    with open(SOURCE, encoding="utf-8") as f:
        text = f.read()
    doc = yaml.safe_load(text)
    as_json = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    page = render_html(doc)
    return (
        "// swift-format-ignore-file\n"
        "// Generated by openapi/generate.py from openapi/openapi.yaml. Do not edit: edit the YAML and re-run it.\n\n"
        "/// The OpenAPI contract embedded at build time (see `openapi/generate.py`).\n"
        "enum OpenAPIDocument {\n"
        "    /// `openapi/openapi.yaml`, byte for byte.\n"
        + swift_string("yaml", text)
        + "    /// The same document as JSON.\n"
        + swift_string("json", as_json)
        + "    /// The human-readable reference page served at `/docs`.\n"
        + swift_string("html", page)
        + "}\n"
    )


def main():
    output = generate()
    if "--check" in sys.argv:
        current = open(TARGET, encoding="utf-8").read() if os.path.exists(TARGET) else ""
        if current != output:
            print("error: %s is stale: run openapi/generate.py" % os.path.relpath(TARGET, ROOT), file=sys.stderr)
            sys.exit(1)
        print("openapi: embedded document is up to date")
        return
    os.makedirs(os.path.dirname(TARGET), exist_ok=True)
    with open(TARGET, "w", encoding="utf-8") as f:
        f.write(output)
    print("wrote", os.path.relpath(TARGET, ROOT))


if __name__ == "__main__":
    main()
