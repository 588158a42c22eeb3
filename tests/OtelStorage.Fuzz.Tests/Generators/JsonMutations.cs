using System.Text;
using System.Text.Json.Nodes;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Otlp.Json;
using OtelStorage.Testing.Otlp;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>A mutated OTLP JSON body and what was done to it.</summary>
public sealed record JsonInput(string Description, byte[] Body);

/// <summary>
/// Hostile OTLP JSON: values of the wrong type, huge and non-finite numbers, bad hex IDs, nesting past every depth
/// limit, truncated and malformed text, duplicate keys, invalid UTF-8 and escapes.
/// </summary>
public static class JsonMutations
{
    private static readonly string[] IdFields = ["traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id"];

    private static readonly string[] WrongValues =
    [
        "null", "true", "false", "0", "-1", "1.5", "\"\"", "\"x\"", "[]", "{}", "[null]", "[[]]", "{\"a\":1}",
        "1e400", "-1e400", "1e-400", "18446744073709551616", "-9223372036854775809", "99999999999999999999999999999999", "4294967296",
        "\"18446744073709551616\"", "\"-1\"", "\"1e3\"", "\"0x10\"", "\" 1\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "123456789012345678901234567890.5",
        "\"SPAN_KIND_NOPE\"", "\"STATUS_CODE_ERROR\"", "2147483648", "-2147483649", "\"AQID\"", "\"!!!\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udfff\\ud800\"",
    ];

    private static readonly string[] BadHex =
    [
        "", "0", "abc", "5B8EFFF798038103D269B633813FC60", "5B8EFFF798038103D269B633813FC60C0", "5B8EFFF798038103D269B633813FC60G", "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "W4778JgDgQPSabYzgT/GDA==", "00000000000000000000000000000000", "0000000000000000", "５Ｂ８ＥＦＦＦ７９８０３８１０３Ｄ２６９Ｂ６３３８１３ＦＣ６０Ｃ",
        " 5B8EFFF798038103D269B633813FC60C", "5B8EFFF798038103D269B633813FC60C\n", "0x5B8EFFF798038103D269B633813FC60", "ééééééééééééééé", "\\u0035B8EFFF798038103D269B633813FC60C",
    ];

    public static JsonInput Mutate(Random r)
    {
        var (sample, root) = Sample(r);
        var nodes = new List<(JsonNode? Node, JsonNode Parent, string? Key, int Index)>();
        Collect(root, nodes);
        var changes = new List<string>();
        // Replacements are raw JSON text (some of it not parseable by System.Text.Json), put in place of placeholders
        // after the tree is written.
        var raw = new List<string>();
        var count = r.Next(1, 4);
        for (var n = 0; n < count && nodes.Count > 0; n++)
        {
            var (_, parent, key, index) = r.Pick(nodes);
            var kind = r.Next(6);
            var replacement = kind switch
            {
                0 or 1 => r.Pick(WrongValues),
                2 => "\"" + r.Pick(BadHex) + "\"",
                3 => DeepJson(r.Pick(new[] { 10, 60, 127, 128, 129, 1000, 100_000 }), r.Next(2) == 0),
                4 => "\"" + new string('x', r.Pick(new[] { 1024, 1024 * 1024 })) + "\"",
                _ => "null",
            };
            var placeholder = "__FUZZ_" + raw.Count + "__";
            raw.Add(replacement);
            if (kind == 2 && parent is JsonObject idOwner)
            {
                // Bad hex goes where IDs live.
                key = r.Pick(IdFields);
                idOwner[key] = placeholder;
            }
            else
            {
                Set(parent, key, index, placeholder);
            }

            changes.Add($"{key ?? "[" + index + "]"}={Shorten(replacement)}");
        }

        var text = new StringBuilder(root.ToJsonString());
        for (var i = 0; i < raw.Count; i++)
        {
            text.Replace("\"__FUZZ_" + i + "__\"", raw[i]);
        }

        return new JsonInput($"{sample}: {string.Join(", ", changes)}", Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Text-level damage: truncation, inserted bytes, duplicate keys, comments, trailing commas, BOM, bad escapes.</summary>
    public static JsonInput Text(Random r)
    {
        var (sample, root) = Sample(r);
        var text = root.ToJsonString();
        var at = r.Next(text.Length + 1);
        string what;
        switch (r.Next(10))
        {
            case 0 or 1:
                what = $"truncated at {at} of {text.Length}";
                text = text[..at];
                break;
            case 2:
                var insert = r.Pick(new[] { "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u12", "/* c */", "// c\n", "NaN", "undefined", "'x'", "\0" });
                what = $"'{insert}' inserted at {at}";
                text = text.Insert(at, insert);
                break;
            case 3:
                var duplicated = text.IndexOf("\"spans\":", StringComparison.Ordinal) is var s and >= 0 ? s : text.IndexOf('"', StringComparison.Ordinal);
                what = "a duplicate key";
                text = text.Insert(Math.Max(1, duplicated), "\"spans\":[],\"resourceSpans\":{},");
                break;
            case 4:
                what = "a BOM and whitespace";
                text = "\uFEFF \t\r\n" + text + "\n\n";
                break;
            case 5:
                what = "trailing commas";
                text = text.Replace("}]", "},]", StringComparison.Ordinal).Replace("\"}", "\",}", StringComparison.Ordinal);
                break;
            case 6:
                what = "escaped keys and a bad escape";
                text = text.Replace("\"name\"", "\"n\\u0061me\"", StringComparison.Ordinal).Replace("\"key\"", "\"k\\x65y\"", StringComparison.Ordinal);
                break;
            case 7:
                what = "two documents";
                text = text + text;
                break;
            case 8:
                what = "a top-level " + r.Pick(new[] { "array", "string", "number", "null" });
                text = what.EndsWith("array", StringComparison.Ordinal) ? "[" + text + "]" : what.EndsWith("string", StringComparison.Ordinal) ? "\"x\"" : what.EndsWith("number", StringComparison.Ordinal) ? "1" : "null";
                break;
            default:
                what = "an empty body";
                text = r.Next(2) == 0 ? string.Empty : " ";
                break;
        }

        return new JsonInput($"{sample}: {what}", Encoding.UTF8.GetBytes(text));
    }

    /// <summary>Invalid UTF-8 bytes inside (and outside) string literals.</summary>
    public static JsonInput InvalidUtf8(Random r)
    {
        var (sample, root) = Sample(r);
        var bytes = Encoding.UTF8.GetBytes(root.ToJsonString());
        var quotes = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'"').ToList();
        var bad = r.Pick(ProtobufMutations.InvalidUtf8);
        var at = r.Next(4) == 0 ? r.Next(bytes.Length + 1) : r.Pick(quotes) + 1;
        return new JsonInput($"{sample}: {Convert.ToHexString(bad)} at {at}", [.. bytes[..at], .. bad, .. bytes[at..]]);
    }

    /// <summary>AnyValue arrays or kvlists nested in OTLP JSON, and plain arrays and objects nested past JSON's depth limit.</summary>
    public static JsonInput Deep(Random r, bool full)
    {
        var depth = r.Pick(full ? new[] { 5, 20, 30, 40, 41, 42, 43, 50, 63, 64, 65, 100, 128, 1000, 10_000, 100_000, 1_000_000 } : [5, 20, 30, 40, 41, 42, 43, 50, 63, 64, 65, 100, 128, 1000, 10_000, 100_000]);
        var shape = r.Next(3);
        var inner = shape switch
        {
            0 => Repeat("{\"arrayValue\":{\"values\":[", depth) + "{\"stringValue\":\"leaf\"}" + Repeat("]}}", depth),
            1 => Repeat("{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":", depth) + "{\"stringValue\":\"leaf\"}" + Repeat("}]}}", depth),
            _ => "{\"stringValue\":\"x\",\"unknown\":" + DeepJson(depth, r.Next(2) == 0) + "}",
        };
        var body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"fuzz-json\"}}]},\"scopeSpans\":[{\"spans\":[{"
            + $"\"traceId\":\"{Hex(r, 16)}\",\"spanId\":\"{Hex(r, 8)}\",\"name\":\"deep\",\"startTimeUnixNano\":\"{OtlpSamples.Now}\",\"endTimeUnixNano\":\"{OtlpSamples.Now + 1}\","
            + "\"attributes\":[{\"key\":\"deep\",\"value\":" + inner + "}]}]}]}]}";
        var shapes = new[] { "AnyValue arrays", "AnyValue kvlists", "an unknown field of nested arrays or objects" };
        return new JsonInput($"{shapes[shape]} nested {depth} deep", Encoding.UTF8.GetBytes(body));
    }

    private static (string Description, JsonNode Root) Sample(Random r)
    {
        if (r.Next(4) == 0)
        {
            return ("the hand-written JSON sample", JsonNode.Parse(HandWrittenJson.Request)!);
        }

        var request = OtlpSamples.Any(r);
        return ($"a valid JSON request of {request.ResourceSpans.Sum(x => x.ScopeSpans.Sum(s => s.Spans.Count))} spans", JsonNode.Parse(OtlpJson.FormatRequest(request))!);
    }

    private static void Collect(JsonNode node, List<(JsonNode?, JsonNode, string?, int)> nodes)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    nodes.Add((child, obj, key, -1));
                    if (child is not null)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    nodes.Add((array[i], array, null, i));
                    if (array[i] is { } child)
                    {
                        Collect(child, nodes);
                    }
                }

                break;
        }
    }

    private static void Set(JsonNode parent, string? key, int index, JsonNode? value)
    {
        if (parent is JsonObject obj)
        {
            obj[key!] = value;
        }
        else if (parent is JsonArray array)
        {
            array[index] = value;
        }
    }

    /// <summary>Nested JSON arrays or objects, <paramref name="depth"/> deep.</summary>
    public static string DeepJson(int depth, bool arrays) =>
        arrays ? Repeat("[", depth) + Repeat("]", depth) : Repeat("{\"a\":", depth) + "1" + Repeat("}", depth);

    private static string Repeat(string text, int count) => new StringBuilder(text.Length * count).Insert(0, text, count).ToString();

    private static string Hex(Random r, int bytes)
    {
        var id = r.Bytes(bytes);
        id[0] |= 1;
        return Convert.ToHexStringLower(id);
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
