//go:build race

package main

// raceEnabled: timing assertions are meaningless under the race detector.
const raceEnabled = true
