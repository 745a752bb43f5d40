package stats

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Header is the 2.6 CSV header line, without its newline.
func Header() string {
	var b strings.Builder
	b.WriteString("# ")
	for f := Field(0); f < NumFields; f++ {
		if f == NumStdFields {
			b.WriteString("-,")
		}
		b.WriteString(fieldSpecs[f].name)
		b.WriteByte(',')
	}
	return b.String()
}

// Name is a field's name in the CSV header.
func (f Field) Name() string { return fieldSpecs[f].name }

// WriteCSV writes the rows opts selects as `show stat` and `;csv` do:
// the header line, then one line per row, each field followed by a comma.
// Strings are written as they are except that commas, which would break
// the line, become spaces as in the reference's csv_enc for unquoted
// output.
func WriteCSV(w io.Writer, snap *Snapshot, opts Options) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(Header())
	bw.WriteByte('\n')
	for _, r := range snap.Select(opts) {
		for f := Field(0); f < NumFields; f++ {
			if f == NumStdFields {
				bw.WriteString("-,")
			}
			writeCSVValue(bw, r.Values[f])
			bw.WriteByte(',')
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func writeCSVValue(bw *bufio.Writer, v Value) {
	if v.Kind != KindStr {
		bw.WriteString(v.String())
		return
	}
	if !strings.ContainsAny(v.Str, ",\"\r\n") {
		bw.WriteString(v.Str)
		return
	}
	// The reference quotes such strings and doubles inner quotes.
	bw.WriteByte('"')
	bw.WriteString(strings.ReplaceAll(v.Str, `"`, `""`))
	bw.WriteByte('"')
}

// tagsOf returns the typed-output tags ("MCP") and type ("u64") of f in
// a row of type t.
func tagsOf(f Field, t ObjType) (tags, typ string) {
	for _, spec := range strings.Fields(fieldSpecs[f].tags) {
		if spec[0] == byte(t) {
			parts := strings.Split(spec, ":")
			return parts[1], parts[2]
		}
	}
	return "MGP", "u32"
}

// WriteTyped writes `show stat typed`: one line per non-empty field,
// `T.iid.sid.pos.name.1:TAGS:type:value`.
func WriteTyped(w io.Writer, snap *Snapshot, opts Options) error {
	bw := bufio.NewWriter(w)
	for _, r := range snap.Select(opts) {
		for f := Field(0); f < NumFields; f++ {
			v := r.Values[f]
			if v.IsEmpty() {
				continue
			}
			tags, typ := tagsOf(f, r.Type)
			bw.WriteByte(byte(r.Type))
			bw.WriteByte('.')
			bw.WriteString(strconv.Itoa(r.ProxyID))
			bw.WriteByte('.')
			bw.WriteString(strconv.Itoa(r.ID))
			bw.WriteByte('.')
			bw.WriteString(strconv.Itoa(int(f)))
			bw.WriteByte('.')
			bw.WriteString(fieldSpecs[f].name)
			bw.WriteString(".1:")
			bw.WriteString(tags)
			bw.WriteByte(':')
			bw.WriteString(typ)
			bw.WriteByte(':')
			bw.WriteString(v.String())
			bw.WriteByte('\n')
		}
	}
	return bw.Flush()
}

var (
	originNames = map[byte]string{'M': "Metric", 'S': "Status", 'K': "Key", 'C': "Config", 'P': "Product"}
	natureNames = map[byte]string{'A': "Age", 'a': "Avg", 'C': "Counter", 'D': "Duration", 'G': "Gauge",
		'L': "Limit", 'M': "Max", 'N': "Name", 'O': "Output", 'R': "Rate"}
	scopeNames = map[byte]string{'P': "Process", 'S': "Service", 's': "System", 'C': "Cluster"}
	objNames   = map[ObjType]string{Frontend: "Frontend", Backend: "Backend", Server: "Server", Listener: "Listener"}
)

// WriteJSON writes `show stat json` and `;json`: an array of rows, each
// an array of its non-empty fields with their tags and typed values.
func WriteJSON(w io.Writer, snap *Snapshot, opts Options) error {
	bw := bufio.NewWriter(w)
	bw.WriteByte('[')
	for i, r := range snap.Select(opts) {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteByte('[')
		first := true
		for f := Field(0); f < NumFields; f++ {
			v := r.Values[f]
			if v.IsEmpty() {
				continue
			}
			if !first {
				bw.WriteByte(',')
			}
			first = false
			tags, typ := tagsOf(f, r.Type)
			bw.WriteString(`{"objType":"` + objNames[r.Type] + `","proxyId":` + strconv.Itoa(r.ProxyID) +
				`,"id":` + strconv.Itoa(r.ID) + `,"field":{"pos":` + strconv.Itoa(int(f)) + `,"name":"` + fieldSpecs[f].name + `"},`)
			writeJSONTail(bw, tags, typ, v)
		}
		bw.WriteByte(']')
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// writeJSONTail writes the part shared by stat and info JSON objects:
// `"processNum":1,"tags":{...},"value":{...}}`.
func writeJSONTail(bw *bufio.Writer, tags, typ string, v Value) {
	bw.WriteString(`"processNum":1,"tags":{"origin":"` + originNames[tags[0]] + `","nature":"` + natureNames[tags[1]] +
		`","scope":"` + scopeNames[tags[2]] + `"},"value":{"type":"` + typ + `","value":`)
	if v.Kind == KindStr {
		bw.WriteString(jsonQuote(v.Str))
	} else {
		bw.WriteString(strconv.FormatInt(v.Num, 10))
	}
	bw.WriteString("}}")
}

// jsonQuote quotes s as a JSON string, escaping only what JSON requires.
func jsonQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte("0123456789abcdef"[c>>4])
			b.WriteByte("0123456789abcdef"[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WriteStat writes `show stat` in the given form: CSV, typed or JSON.
func WriteStat(w io.Writer, snap *Snapshot, format Format, opts Options) error {
	switch format {
	case Typed:
		return WriteTyped(w, snap, opts)
	case JSON:
		return WriteJSON(w, snap, opts)
	}
	return WriteCSV(w, snap, opts)
}
