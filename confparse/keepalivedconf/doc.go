// Package keepalivedconf reads keepalived.conf files the way Keepalived
// 2.2.7 does, with a file and line on every line and word.
//
// The reference has no grammar in the usual sense: its line reader
// rewrites the text (comments, `@ID` conditional lines, `$NAME`
// definitions and their expansion, `~SEQ`/`~SEQx`/`~LST` replication,
// `include` globs) and then splits every `{` and `}` onto a line of its
// own; which words open a block is decided by the keyword table of the
// reading process, not by the text. So this package is in two layers:
//
//   - Reader, a hand-written pre-processor reproducing the reference's
//     read_line step by step. It produces logical lines with their
//     Where (file as the reference names it, and line), reports problems
//     through a Reporter with the reference's wording and a Class (the
//     reference's error level, from which `keepalived -t` derives its
//     exit code), and bounds what the reference leaves unbounded: include
//     nesting (32, so an include loop ends with a clear error), lines one
//     ~SEQ may produce (65536) and lines one reading may produce
//     (Options.MaxLines), and self-referencing definitions.
//   - Split, a participle grammar (lexer plus a one-rule parser) cutting a
//     logical line into words: a double-quoted string is one word without
//     its quotes, anything else runs to the next blank or quote, and an
//     unclosed quote ends the line as the reference's "Unmatched quote"
//     does. Each word carries its column.
//
// The block structure (process_stream in the reference) lives with the
// keyword table in package keepalived, because it depends on keyword
// meanings, which this package does not know.
package keepalivedconf
