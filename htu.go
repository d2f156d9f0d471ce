package jwtauth

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

// publicURL is the parsed base of [WithDPoPPublicURL].
type publicURL struct {
	origin string // scheme://host[:port]
	prefix string // a path without a trailing slash, or ""
}

// parsePublicURL parses the base URL of WithDPoPPublicURL.
func parsePublicURL(base string) (*publicURL, error) {
	if strings.ContainsAny(base, "?#@") {
		return nil, errors.New("the base URL may not have a query, a fragment or user information")
	}
	norm, ok := normalizeHTU(base)
	if !ok {
		return nil, errors.New("not an absolute http or https URL")
	}
	i := strings.Index(norm, "://")
	j := strings.IndexByte(norm[i+3:], '/') + i + 3 // normalizeHTU always gives a path
	return &publicURL{origin: norm[:j], prefix: strings.TrimSuffix(norm[j:], "/")}, nil
}

// requestURI returns the URI a proof's htu must match for r, without its
// query: the external origin (see [WithDPoPPublicURL] and
// [WithDPoPTrustedForwardedHeaders]), then the request's escaped path.
func (d *dpopVerifier) requestURI(r *http.Request) (string, error) {
	path := r.URL.EscapedPath()
	if hasDotSegment(path) {
		// The proof's htu may be normalised; the request's path must not
		// need it: a router that does not clean paths would serve
		// /admin/../persons/1 under /admin, with a proof for /persons/1.
		return "", errProofURI
	}
	if d.publicURL != nil {
		return d.publicURL.origin + d.publicURL.prefix + path, nil
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if d.forwarded {
		if v, ok, err := forwardedValue(r.Header, "X-Forwarded-Proto"); err != nil {
			return "", err
		} else if ok {
			scheme = v
		}
		if v, ok, err := forwardedValue(r.Header, "X-Forwarded-Host"); err != nil {
			return "", err
		} else if ok {
			host = v
		}
	}
	return scheme + "://" + host + path, nil
}

// hasDotSegment reports whether the escaped path has a "." or ".."
// segment, percent-encoded or not.
func hasDotSegment(path string) bool {
	for seg := range strings.SplitSeq(path, "/") {
		switch strings.ToLower(seg) {
		case ".", "..", "%2e", "%2e%2e", ".%2e", "%2e.":
			return true
		}
	}
	return false
}

// forwardedValue returns the one value of a forwarded header, if any.
func forwardedValue(h http.Header, name string) (string, bool, error) {
	vals := h.Values(name)
	switch {
	case len(vals) == 0:
		return "", false, nil
	case len(vals) > 1 || vals[0] == "" || strings.ContainsAny(vals[0], ", \t/"):
		return "", false, errProofForwarded
	}
	return vals[0], true, nil
}

// normalizeHTU returns an http or https URI without its query and fragment,
// normalised as RFC 3986 sections 6.2.2 and 6.2.3 describe: the scheme and
// host in lower case, the port dropped when it is the scheme's default (and
// its leading zeros), an empty path made "/", percent-encodings of
// unreserved characters decoded and the others in upper case, characters
// that may not appear in a path percent-encoded, and dot segments removed.
// It reports false for anything else: another scheme, user information, a
// malformed host, port or percent-encoding.
func normalizeHTU(s string) (string, bool) {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	i := strings.Index(s, "://")
	if i <= 0 {
		return "", false
	}
	scheme := strings.ToLower(s[:i])
	var defaultPort string
	switch scheme {
	case "http":
		defaultPort = "80"
	case "https":
		defaultPort = "443"
	default:
		return "", false
	}
	rest := s[i+3:]
	authority, path := rest, "/"
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		authority, path = rest[:j], rest[j:]
	}
	host, port, ok := splitAuthority(authority)
	if !ok {
		return "", false
	}
	if port == defaultPort {
		port = ""
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(scheme)
	b.WriteString("://")
	b.WriteString(host)
	if port != "" {
		b.WriteByte(':')
		b.WriteString(port)
	}
	start := b.Len()
	if !appendPath(&b, path) {
		return "", false
	}
	out := b.String()
	if strings.Contains(out[start:], "/.") {
		out = out[:start] + removeDotSegments(out[start:])
	}
	return out, true
}

// splitAuthority splits host[:port] into a lower-case host (a reg-name of
// unreserved and sub-delimiter characters, or a bracketed IPv6 literal)
// and a port without leading zeros ("" for none).
func splitAuthority(a string) (host, port string, ok bool) {
	host = a
	if strings.HasPrefix(a, "[") {
		end := strings.IndexByte(a, ']')
		if end < 0 {
			return "", "", false
		}
		host, a = a[:end+1], a[end+1:]
		for _, c := range []byte(host[1 : len(host)-1]) {
			if !isHex(c) && c != ':' && c != '.' {
				return "", "", false
			}
		}
		switch {
		case a == "":
		case a[0] == ':':
			port = a[1:]
		default:
			return "", "", false
		}
	} else if j := strings.LastIndexByte(a, ':'); j >= 0 {
		host, port = a[:j], a[j+1:]
	}
	if host == "" {
		return "", "", false
	}
	for _, c := range []byte(host) {
		if c >= 0x80 || c <= ' ' || strings.IndexByte(`"#%/<>?@\^`+"`{|}", c) >= 0 {
			return "", "", false
		}
	}
	if a != "" && strings.IndexByte(host, ':') >= 0 && host[0] != '[' {
		return "", "", false
	}
	host = strings.ToLower(host)
	if port != "" {
		if len(port) > 5 {
			port = strings.TrimLeft(port, "0")
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || port[0] == '+' {
			return "", "", false
		}
		port = strconv.FormatUint(n, 10)
	}
	return host, port, true
}

// appendPath writes path with its percent-encodings normalised, and bytes
// that may not appear in a path encoded; it reports false for a malformed
// percent-encoding.
func appendPath(b *strings.Builder, path string) bool {
	const upper = "0123456789ABCDEF"
	for i := 0; i < len(path); i++ {
		c := path[i]
		switch {
		case c == '%':
			if i+2 >= len(path) || !isHex(path[i+1]) || !isHex(path[i+2]) {
				return false
			}
			v := unhex(path[i+1])<<4 | unhex(path[i+2])
			i += 2
			if isUnreserved(v) {
				b.WriteByte(v)
			} else {
				b.WriteByte('%')
				b.WriteByte(upper[v>>4])
				b.WriteByte(upper[v&15])
			}
		case isUnreserved(c) || c == '/' || strings.IndexByte("!$&'()*+,;=:@", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(upper[c>>4])
			b.WriteByte(upper[c&15])
		}
	}
	return true
}

// removeDotSegments is RFC 3986 section 5.2.4's algorithm for a path that
// starts with "/".
func removeDotSegments(in string) string {
	var out []string
	segs := strings.Split(in[1:], "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch s {
		case ".":
			if last {
				out = append(out, "")
			}
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
			if last {
				out = append(out, "")
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
