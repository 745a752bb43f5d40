// Package netns builds throwaway network namespaces for tests: namespaces
// joined by veth pairs or a bridge, commands and Go functions run inside
// them, and everything removed again when the test ends.
package netns
