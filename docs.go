package jwtauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// DefaultSwaggerUIAssets is the base URL under which the docs page loads
// swagger-ui-bundle.js and swagger-ui.css unless [WithSwaggerUIAssets] sets
// another: the swagger-ui-dist npm package on the jsDelivr CDN, as FastAPI's
// swagger_js_url and swagger_css_url, but at an exact version whose files
// the page pins by their SHA-384 (Subresource Integrity), so that the CDN
// cannot serve other code to the page that holds the user's token.
const DefaultSwaggerUIAssets = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/"

// The Subresource Integrity of DefaultSwaggerUIAssets' files; a test checks
// them against the npm package of the same version.
const (
	defaultBundleIntegrity = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
	defaultCSSIntegrity    = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"
)

// DocsOption configures [API.Mount].
type DocsOption func(*docsConfig) error

type docsConfig struct {
	openAPIPath, docsPath string
	assets                string
}

// WithOpenAPIPath sets the path the document is served at. Default:
// "/openapi.json".
func WithOpenAPIPath(path string) DocsOption {
	return func(c *docsConfig) error {
		if err := checkDocsPath(path); err != nil {
			return optionError("WithOpenAPIPath: %v", err)
		}
		c.openAPIPath = path
		return nil
	}
}

// WithDocsPath sets the path of the Swagger UI page. Default: "/docs".
func WithDocsPath(path string) DocsOption {
	return func(c *docsConfig) error {
		if err := checkDocsPath(path); err != nil {
			return optionError("WithDocsPath: %v", err)
		}
		c.docsPath = path
		return nil
	}
}

func checkDocsPath(path string) error {
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " {}?#\"'<>\\") {
		return fmt.Errorf("%s is not a plain absolute path", strconv.Quote(path))
	}
	return nil
}

// WithSwaggerUIAssets sets the base URL under which the docs page finds
// swagger-ui-bundle.js and swagger-ui.css, laid out as in the npm package
// swagger-ui-dist: an https URL (http only for a loopback host), or an
// absolute path on this server, for self-hosted or air-gapped use. A
// missing final "/" is added. Default: [DefaultSwaggerUIAssets].
func WithSwaggerUIAssets(baseURL string) DocsOption {
	return func(c *docsConfig) error {
		if _, err := assetOrigin(baseURL); err != nil {
			return optionError("WithSwaggerUIAssets: %v", err)
		}
		if !strings.HasSuffix(baseURL, "/") {
			baseURL += "/"
		}
		c.assets = baseURL
		return nil
	}
}

// assetOrigin returns the CSP source of the assets' base URL: 'self' for a
// path, else its scheme, host and path (CSP level 3 matches a source ending
// in "/" as a path prefix), so that only the assets' directory is allowed,
// not everything the host serves.
func assetOrigin(base string) (string, error) {
	if strings.HasPrefix(base, "/") && !strings.HasPrefix(base, "//") {
		if strings.ContainsAny(base, " ?#\"'<>\\") {
			return "", fmt.Errorf("%s is not a plain path", strconv.Quote(base))
		}
		return "'self'", nil
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(base, " \"'<>\\;,*") {
		return "", fmt.Errorf("%s is not an https URL or an absolute path", strconv.Quote(base))
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return "", fmt.Errorf("%s: assets must come over https (http only from a loopback host)", strconv.Quote(base))
	}
	path := u.EscapedPath()
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	return u.Scheme + "://" + u.Host + path, nil
}

// Mount builds the API's document, once, and registers on mux, with no
// authentication:
//
//   - GET /openapi.json ([WithOpenAPIPath]): the document, application/json;
//   - GET /docs ([WithDocsPath]): a Swagger UI page (FastAPI's default
//     docs) for the document, whose Authorize button takes a token for the
//     document's security schemes and whose "Try it out" calls this server.
//
// The page loads Swagger UI's script and stylesheet from
// [DefaultSwaggerUIAssets], pinned by their hashes, unless
// [WithSwaggerUIAssets] names another base; nothing else. Its
// Content-Security-Policy allows scripts, styles, fonts and images from the
// assets' directory only (images also as data: URLs, which Swagger UI's
// stylesheet uses for its icons), the one inline script by its hash, and
// connections to this server and, for openIdConnect schemes, the issuers'
// origins (Swagger UI reads their discovery documents); no frames, no form
// posts elsewhere. Both responses send X-Content-Type-Options: nosniff.
//
// Swagger UI's Authorize works for bearer tokens, API keys and an
// [WithOAuth2Password] token endpoint; for openIdConnect schemes it shows
// the provider's flows but cannot complete them, since the page has no
// OAuth 2.0 redirect endpoint and may connect only to this server.
//
// Mount returns the errors of [API.OpenAPI] and of its options; after it,
// [API.Handle] panics. Register every route first.
func (a *API) Mount(mux Mux, opts ...DocsOption) error {
	c := docsConfig{openAPIPath: "/openapi.json", docsPath: "/docs", assets: DefaultSwaggerUIAssets}
	for _, o := range opts {
		if o == nil {
			return optionError("nil DocsOption")
		}
		if err := o(&c); err != nil {
			return err
		}
	}
	a.mu.Lock()
	doc, err := a.document()
	var connect []string
	if err == nil {
		a.mounted = true
		connect = a.issuerOrigins()
	}
	a.mu.Unlock()
	if err != nil {
		return err
	}
	page, csp, err := swaggerPage(a.info.Title, c, connect)
	if err != nil {
		return err
	}
	mux.Handle("GET "+c.openAPIPath, staticHandler(doc, "application/json", ""))
	mux.Handle("GET "+c.docsPath, staticHandler(page, "text/html; charset=utf-8", csp))
	return nil
}

// issuerOrigins returns the origins of the OIDC issuers the operations use.
func (a *API) issuerOrigins() []string {
	var out []string
	for _, op := range a.ops {
		if op.mw == nil {
			continue
		}
		for _, v := range op.mw.verifiers() {
			if o, ok := v.keys.(*OIDC); ok {
				u, err := url.Parse(o.Issuer())
				if err != nil || u.Host == "" || strings.ContainsAny(u.Host, " \"'<>\\;,*") {
					continue // not a source a policy can hold; NewOIDC refuses such issuers anyway
				}
				if origin := u.Scheme + "://" + u.Host; !slices.Contains(out, origin) {
					out = append(out, origin)
				}
			}
		}
	}
	return out
}

// swaggerPage returns the docs page and its Content-Security-Policy.
func swaggerPage(title string, c docsConfig, connect []string) (page []byte, csp string, err error) {
	origin, err := assetOrigin(c.assets)
	if err != nil {
		return nil, "", err
	}
	config, err := json.Marshal(map[string]any{
		"url": c.openAPIPath, "dom_id": "#swagger-ui", "layout": "BaseLayout",
		"deepLinking": true, "showExtensions": true, "showCommonExtensions": true,
	})
	if err != nil {
		return nil, "", err
	}
	// json.Marshal escapes <, > and &, so the script cannot be closed early.
	script := "window.ui = SwaggerUIBundle(Object.assign(" + string(config) +
		", {presets: [SwaggerUIBundle.presets.apis]}));"
	sum := sha256.Sum256([]byte(script))
	assets := html.EscapeString(c.assets)
	bundleAttrs, cssAttrs := "", ""
	if c.assets == DefaultSwaggerUIAssets {
		bundleAttrs = ` integrity="` + defaultBundleIntegrity + `" crossorigin="anonymous"`
		cssAttrs = ` integrity="` + defaultCSSIntegrity + `" crossorigin="anonymous"`
	}
	page = []byte(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + html.EscapeString(title) + ` - Swagger UI</title>
<link rel="stylesheet" href="` + assets + `swagger-ui.css"` + cssAttrs + `>
</head>
<body>
<div id="swagger-ui"></div>
<script src="` + assets + `swagger-ui-bundle.js"` + bundleAttrs + `></script>
<script>` + script + `</script>
</body>
</html>
`)
	csp = "default-src 'none'; script-src " + origin + " 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'" +
		"; style-src " + origin + "; font-src " + origin + "; img-src " + origin + " data:" +
		"; connect-src 'self'" + strings.Join(append([]string{""}, connect...), " ") +
		"; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return page, csp, nil
}

// staticHandler serves body with contentType and, if not "", a
// Content-Security-Policy.
func staticHandler(body []byte, contentType, csp string) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", length)
		h.Set("X-Content-Type-Options", "nosniff")
		if csp != "" {
			h.Set("Content-Security-Policy", csp)
		}
		_, _ = w.Write(body)
	})
}
