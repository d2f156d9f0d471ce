package jwtauth

import "net/http"

// Temporary until the core WriteError lands; deleted at merge.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if !writeBodyError(w, err) {
		http.Error(w, "{\"detail\":\"Internal Server Error\"}", 500)
	}
}
