package apisock

import "strings"

// splitCommands cuts a request line at the semicolons not escaped by a
// backslash, as the reference's CLI reads its input.
func splitCommands(line string) []string {
	var out []string
	start := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case ';':
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:])
}

// splitWords cuts one command into its words: runs of spaces and tabs
// separate them, a backslash keeps the next character (a space, a
// semicolon, a backslash) inside the word. A word "<<" ends the words:
// what follows is the payload.
func splitWords(cmd string) (words []string, payload bool) {
	i := 0
	for i < len(cmd) {
		for i < len(cmd) && (cmd[i] == ' ' || cmd[i] == '\t') {
			i++
		}
		if i == len(cmd) {
			break
		}
		if cmd[i:] == "<<" {
			return words, true
		}
		var w strings.Builder
		for i < len(cmd) && cmd[i] != ' ' && cmd[i] != '\t' {
			if cmd[i] == '\\' {
				i++
				if i == len(cmd) {
					break
				}
			}
			w.WriteByte(cmd[i])
			i++
		}
		words = append(words, w.String())
	}
	return words, false
}
