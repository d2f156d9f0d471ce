module github.com/seedb5d7e80f/jwtauth

go 1.24

require (
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/google/go-cmp v0.7.0
)
