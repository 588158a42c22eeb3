using System.Globalization;
using System.Text;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Fuzz.Tests.Stack;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>
/// The Query.Api categories: hostile trace IDs, search parameters, path parameters, tenants and very long values on
/// the native, Jaeger and Tempo routes. Valid values (seeded trace IDs and services, windows over the seeded blocks)
/// are mixed in, so searches get past parsing and scan real blocks.
/// </summary>
public static class QueryCases
{
    private static readonly string[] TraceRoutes = ["/traces/{0}", "/api/traces/{0}", "/api/v2/traces/{0}", "/tempo/api/traces/{0}", "/api/v3/traces/{0}"];

    private static readonly string[] Accepts = ["", "application/json", "application/x-protobuf", "application/protobuf", "*/*", "text/html, application/xhtml+xml", "application/x-protobuf;q=0, */*", "💥"];

    /// <summary>Path traversal, raw and percent-encoded, with backslashes, NULs and overlong UTF-8.</summary>
    public static readonly string[] Traversal =
    [
        "..", "../x", "../../../../etc/passwd", "..%2Fx", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f", "%2e%2e/x", "%2E%2E%2F%2E%2E%2F", "..%5Cx", "..\\x",
        "%252e%252e%252f", "%c0%ae%c0%ae%2f", "..%00", "%00", "x%2Fy", "x/y", ".%2e/x", "....//", "..;/x", "%2F", "%5C", "~", "blocks/single-tenant/../fuzz-tenant",
        "single-tenant%2Fmeta.json", "%2e", ".", "%u002e%u002e", "%", "%zz", "%FF%FE",
    ];

    private static readonly string[] Hostile =
    [
        "", " ", "%20", "+", "a", "-1", "0", "00000000000000000000000000000000", "null", "undefined", "NaN", "Infinity", "1e309", "9223372036854775808",
        "18446744073709551616", "-9223372036854775809", "%F0%9F%98%80", "%E2%80%AE", "%EF%BB%BF", "%C3%A9", "%E7%A7%9F", "'", "\"", "%22%3E%3Cscript%3E",
        "%0D%0AX-Injected:%201", "%00", "%FF", "%C0%80", "${jndi:ldap://x}", "{{7*7}}", "%25", "*", "?", "#", "[]", "{}", "%5B%5D", "a:b", "a=b&c=d",
    ];

    private static readonly string[] Limits = ["", "0", "1", "20", "1000", "1001", "-1", "2147483647", "2147483648", "-2147483648", "1.5", "1e3", "0x10", "abc", "٣", "１", " 5 ", "+5", "99999999999999999999"];

    private static readonly string[] Durations =
    [
        "", "0", "1", "1ns", "1us", "1µs", "1μs", "1ms", "1s", "1m", "1h", "1d", "1w", "1y", "1.5ms", ".5s", "5.s", "1.2.3s", "1h30m", "1h-30m", "-1s", "+1s", "1e9s",
        "999999999999999999999h", "9223372036854775807", "9223372036854775808", "18446744073709551615", "1sec", "s", "ms", "1 s", "1S", "٣s", "1\u00a0s", "NaN", "Infinity",
        new string('9', 400) + "s", string.Concat(Enumerable.Repeat("1s", 5000)),
    ];

    private static readonly string[] Statuses = ["", "ok", "error", "unset", "OK", "Error", "0", "1", "2", "3", "-1", "STATUS_CODE_ERROR", "true", "💥"];

    public static IEnumerable<FuzzCategory> All(SeededData seeded, bool full) =>
    [
        new("query-trace-ids", FuzzTarget.Query, "trace IDs of every length, non-hex, unicode, very long, traversal, on the five trace routes", 700, 8_000, 8, (r, _) => TraceId(r, seeded)),
        new("query-search", FuzzTarget.Query, "/spans, /api/traces, /api/v3/traces and /api/search with hostile limits, times, durations, statuses, tags, trace IDs and TraceQL", 600, 8_000, 8, (r, _) => Search(r, seeded)),
        new("query-metadata", FuzzTarget.Query, "services, operations, dependencies and tag values with hostile path parameters and windows", 500, 9_000, 8, (r, _) => Metadata(r, seeded)),
        new("query-trace-lookup", FuzzTarget.Query, "POST /traces/lookup with hostile bodies: wrong JSON shapes and types, hostile IDs, too many IDs, deep nesting, not JSON", 300, 4_000, 8, (r, _) => TraceLookup(r, seeded, full)),
        new("query-tenants", FuzzTarget.Query, "X-Scope-OrgID values: invalid, very long, traversal, encoded slashes, unicode", 400, 7_000, 8, (r, _) => Tenant(r, seeded)),
        new("query-traversal", FuzzTarget.Query, "path traversal in every path parameter, raw and encoded", 400, 7_000, 8, (r, _) => TraversalCase(r)),
        new("query-long-values", FuzzTarget.Query, "very long paths, query strings, parameters and headers", 80, 600, 4, (r, _) => Long(r, seeded, full)),
    ];

    public static FuzzCase Get(string description, string pathAndQuery, params KeyValuePair<string, string>[] headers) =>
        new() { Description = description, Target = FuzzTarget.Query, Method = "GET", PathAndQuery = pathAndQuery, Headers = headers };

    private static FuzzCase TraceId(Random r, SeededData seeded)
    {
        var id = r.Next(12) switch
        {
            0 => r.Pick(seeded.TraceIds),
            1 => r.Pick(seeded.TraceIds).ToUpperInvariant(),
            2 => r.Pick(seeded.TraceIds).TrimStart('0') is var trimmed ? trimmed[..Math.Min(trimmed.Length, r.Next(1, 33))] : string.Empty,
            3 => Convert.ToHexStringLower(r.Bytes(r.Next(0, 50))),
            4 => Convert.ToHexStringLower(r.Bytes(16))[..r.Next(0, 32)] + r.Pick(new[] { "g", "G", "z", "-", "_", "%20", "%00", "%F0%9F%98%80", ".", "%2F" }),
            5 => r.Pick(new[] { "%EF%BC%95" + new string('0', 31), string.Concat(Enumerable.Repeat("%EF%BC%A1", 32)), "%D9%A3" + new string('a', 31) }),
            6 => new string('a', r.Pick(new[] { 33, 64, 1000, 4000, 7000, 9000, 20_000 })),
            7 => EscapeRaw(r.Pick(Traversal)),
            8 => EscapeRaw(r.Pick(Hostile)),
            9 => "%20" + r.Pick(seeded.TraceIds) + "%20",
            10 => "0x" + r.Pick(seeded.TraceIds)[2..],
            _ => new string('0', r.Pick(new[] { 16, 31, 32 })),
        };
        var route = string.Format(CultureInfo.InvariantCulture, r.Pick(TraceRoutes), id);
        var accept = r.Pick(Accepts);
        return Get($"GET {Shorten(route)} Accept '{accept}'", route, accept.Length == 0 ? [] : [new("Accept", accept)]);
    }

    private static FuzzCase TraceLookup(Random r, SeededData seeded, bool full)
    {
        string Id() => r.Next(4) == 0 ? r.Pick(Hostile) : r.Pick(seeded.TraceIds);
        var body = r.Next(10) switch
        {
            0 => $"{{\"traceIds\":[{string.Join(',', Enumerable.Range(0, r.Next(1, 20)).Select(_ => "\"" + Id() + "\""))}]}}",
            1 => $"{{\"traceIds\":[{string.Join(',', Enumerable.Range(0, r.Pick(new[] { 999, 1000, 1001, full ? 100_000 : 5_000 })).Select(_ => "\"" + r.Pick(seeded.TraceIds) + "\""))}]}}",
            2 => $"{{\"traceIds\":{r.Pick(new[] { "null", "1", "\"x\"", "{}", "[[]]", "[1,2]", "[true]", "[{}]", "[\"\"]" })}}}",
            3 => r.Pick(new[] { "", "null", "[]", "{}", "1", "\"traceIds\"", "{\"traceIds\":", "{\"TRACEIDS\":[]}", "{\"traceIds\":[],\"traceIds\":[]}" }),
            4 => JsonMutations.DeepJson(r.Pick(new[] { 10, 64, 65, 1000, 10_000 }), arrays: r.Next(2) == 0),
            5 => $"{{\"traceIds\":[\"{new string('a', r.Pick(new[] { 33, 1000, 100_000 }))}\"]}}",
            6 => $"{{\"traceIds\":[\"{r.Pick(seeded.TraceIds)}\"],\"extra\":{JsonMutations.DeepJson(r.Next(1, 200), arrays: true)}}}",
            7 => "\uFEFF{\"traceIds\":[\"" + r.Pick(seeded.TraceIds) + "\"]}",
            8 => Encoding.Latin1.GetString(r.Bytes(r.Next(0, 200))),
            _ => $"{{\"traceIds\":[\"{r.Pick(seeded.TraceIds)}\"]}}",
        };
        var contentType = r.Pick(new[] { "application/json", "text/plain", "", "application/x-protobuf" });
        var accept = r.Pick(Accepts);
        KeyValuePair<string, string>[] headers = [.. contentType.Length == 0 ? [] : new[] { new KeyValuePair<string, string>("Content-Type", contentType) }, .. accept.Length == 0 ? [] : new[] { new KeyValuePair<string, string>("Accept", accept) }];
        return new FuzzCase
        {
            Description = $"POST /traces/lookup {Shorten(body)} Content-Type '{contentType}'",
            Target = FuzzTarget.Query,
            PathAndQuery = "/traces/lookup",
            Body = Encoding.UTF8.GetBytes(body),
            Headers = headers,
        };
    }

    private static FuzzCase Search(Random r, SeededData seeded)
    {
        var now = DateTimeOffset.UtcNow;
        var query = new List<(string, string)>();
        string route;
        switch (r.Next(4))
        {
            case 0:
                route = "/spans";
                Maybe(r, query, "limit", () => r.Pick(Limits));
                Maybe(r, query, "service", () => Value(r, seeded.Services));
                Maybe(r, query, "operation", () => Value(r, ["GET /", "oteldemo.CheckoutService/PlaceOrder"]));
                Maybe(r, query, "start", () => Time(r, now, "rfc3339"));
                Maybe(r, query, "end", () => Time(r, now, "rfc3339"));
                Maybe(r, query, "minDuration", () => r.Pick(Durations));
                Maybe(r, query, "maxDuration", () => r.Pick(Durations));
                Maybe(r, query, "status", () => r.Pick(Statuses));
                Maybe(r, query, "q", () => TraceQl(r, seeded));
                for (var i = r.Next(0, 4); i > 0; i--)
                {
                    query.Add(("tag", Tag(r, seeded)));
                }

                break;
            case 1:
                route = "/api/traces";
                Maybe(r, query, "service", () => Value(r, seeded.Services));
                Maybe(r, query, "operation", () => Value(r, ["GET /", "Convert"]));
                Maybe(r, query, "tags", () => JaegerTags(r, seeded));
                Maybe(r, query, "tag", () => Tag(r, seeded));
                Maybe(r, query, "start", () => Time(r, now, "us"));
                Maybe(r, query, "end", () => Time(r, now, "us"));
                Maybe(r, query, "lookback", () => r.Next(3) == 0 ? "custom" : r.Pick(Durations));
                Maybe(r, query, "minDuration", () => r.Pick(Durations));
                Maybe(r, query, "maxDuration", () => r.Pick(Durations));
                Maybe(r, query, "limit", () => r.Pick(Limits));
                for (var i = r.Next(3) == 0 ? r.Next(1, 4) : 0; i > 0; i--)
                {
                    query.Add(("traceID", r.Next(2) == 0 ? r.Pick(seeded.TraceIds) : EscapeRaw(r.Pick(Hostile))));
                }

                break;
            case 2:
                route = "/api/v3/traces";
                Maybe(r, query, r.Pick(new[] { "query.serviceName", "query.service_name" }), () => Value(r, seeded.Services));
                Maybe(r, query, r.Pick(new[] { "query.operationName", "query.operation_name" }), () => Value(r, ["GET /", "Convert"]));
                Maybe(r, query, "query.attributes", () => JaegerTags(r, seeded));
                if (r.Next(5) > 0)
                {
                    query.Add((r.Pick(new[] { "query.startTimeMin", "query.start_time_min" }), Time(r, now, "rfc3339v3")));
                    query.Add((r.Pick(new[] { "query.startTimeMax", "query.start_time_max" }), Time(r, now, "rfc3339v3")));
                }

                Maybe(r, query, r.Pick(new[] { "query.durationMin", "query.duration_min" }), () => r.Pick(Durations));
                Maybe(r, query, r.Pick(new[] { "query.durationMax", "query.duration_max" }), () => r.Pick(Durations));
                Maybe(r, query, r.Pick(new[] { "query.searchDepth", "query.search_depth", "query.num_traces" }), () => r.Pick(Limits));
                Maybe(r, query, r.Pick(new[] { "query.rawTraces", "query.raw_traces" }), () => r.Pick(new[] { "true", "false", "1", "T", "yes", "" }));
                Maybe(r, query, "query.filter", () => Uri.EscapeDataString("{\"op\":\"eq\"}"));
                break;
            default:
                route = "/api/search";
                Maybe(r, query, "tags", () => Logfmt(r, seeded));
                Maybe(r, query, "minDuration", () => r.Pick(Durations));
                Maybe(r, query, "maxDuration", () => r.Pick(Durations));
                Maybe(r, query, "limit", () => r.Pick(Limits));
                Maybe(r, query, "start", () => Time(r, now, "s"));
                Maybe(r, query, "end", () => Time(r, now, "s"));
                Maybe(r, query, "spss", () => r.Pick(Limits));
                Maybe(r, query, "q", () => TraceQl(r, seeded));
                break;
        }

        var path = route + QueryString(query);
        return Get($"GET {Shorten(path, 120)}", path);
    }

    private static FuzzCase Metadata(Random r, SeededData seeded)
    {
        var value = Value(r, seeded.Services);
        var now = DateTimeOffset.UtcNow;
        var (path, what) = r.Next(12) switch
        {
            0 => ("/services" + QueryString(Window(r, now)), "services"),
            1 => ($"/services/{value}/operations" + QueryString(Window(r, now)), "operations"),
            2 => ("/dependencies" + QueryString(Window(r, now)), "dependencies"),
            3 => ("/api/services", "jaeger services"),
            4 => ($"/api/services/{value}/operations", "jaeger operations"),
            5 => ("/api/operations" + QueryString([("service", value), ("spanKind", r.Pick(new[] { "", "server", "SERVER", "x", "%00" }))]), "jaeger operations by kind"),
            6 => ("/api/dependencies" + QueryString([("endTs", Time(r, now, "ms")), ("lookback", r.Pick(new[] { "", "3600000", "-1", "18446744073709551615", "1h", "abc" }))]), "jaeger dependencies"),
            7 => ($"/api/search/tag/{r.Pick(TagNames.Append(value).ToArray())}/values" + QueryString(TagQuery(r, now, seeded, scoped: false)), "tempo tag values"),
            8 => ($"/api/v2/search/tag/{r.Pick(TagNames.Append(value).ToArray())}/values" + QueryString(TagQuery(r, now, seeded, scoped: false)), "tempo tag values v2"),
            9 => ("/api/v3/services", "jaeger v3 services"),
            10 => ("/api/v3/operations" + QueryString([(r.Pick(new[] { "service", "service", "x" }), value), (r.Pick(new[] { "spanKind", "span_kind" }), r.Pick(new[] { "", "server", "SERVER", "x", "%00" }))]), "jaeger v3 operations"),
            _ when r.Next(2) == 0 => (r.Pick(new[] { "/api/search/tags", "/api/v2/search/tags" }) + QueryString(TagQuery(r, now, seeded, scoped: true)), "tempo tag names"),
            _ => (r.Pick(new[] { "/api/search/tags", "/api/v2/search/tags", "/api/status/buildinfo", "/api/echo", "/ready", "/openapi/v1.json" }), "fixed routes"),
        };
        return Get($"{what}: GET {Shorten(path, 120)}", path);
    }

    /// <summary>Tag names as TraceQL spells them, and malformed ones (empty names, unknown scoped intrinsics, query syntax).</summary>
    private static readonly string[] TagNames =
    [
        "service.name", "resource.service.name", "name", "span.name", "status", "kind", "span.http.route", ".http.route", "span:name", "span:kind",
        "rootServiceName", "event:name", "instrumentation:name", "duration", "trace:id", "span.", ".", "span:nope", "nope:x", "%7B", "%7D", "span.%22a%20b%22",
        "resource.", "parent.x", "span.a%7C%7Cb", "%20", "x%00y",
    ];

    /// <summary>Tempo's tag autocompletion parameters: scope (names only), q, start and end in seconds, limit.</summary>
    private static List<(string, string)> TagQuery(Random r, DateTimeOffset now, SeededData seeded, bool scoped)
    {
        var query = new List<(string, string)>();
        if (scoped)
        {
            Maybe(r, query, "scope", () => r.Pick(new[] { "", "all", "span", "resource", "event", "link", "instrumentation", "intrinsic", "none", "SPAN", "%00" }));
        }

        Maybe(r, query, "q", () => TraceQl(r, seeded));
        Maybe(r, query, "start", () => Time(r, now, "s"));
        Maybe(r, query, "end", () => Time(r, now, "s"));
        Maybe(r, query, "limit", () => r.Pick(Limits));
        return query;
    }

    private static FuzzCase Tenant(Random r, SeededData seeded)
    {
        var tenant = r.Pick(new[]
        {
            "", "single-tenant", FuzzStack.SeededTenant, "unknown-tenant", "../x", "..%2fx", "%2e%2e%2f", "..", ".", "a/b", "a\\b", "fuzz-tenant/../single-tenant",
            "a b", " single-tenant", "single-tenant ", "tënant", "租户", "😀", new string('a', 64), new string('a', 65), new string('t', 8000), "a,b", "single-tenant, fuzz-tenant",
            "x\ty", "%00", "*", "CON", "a:b", "-", "_", "---", "a.b", "A-Z_0-9",
        });
        var route = r.Pick(new[]
        {
            "/traces/" + r.Pick(seeded.TraceIds), "/spans?limit=5", "/services", "/api/services", "/api/traces?service=" + r.Pick(seeded.Services), "/api/search?limit=3", "/dependencies",
            "/api/v2/traces/" + r.Pick(seeded.TraceIds), "/api/v3/services", "/api/traces?traceID=" + r.Pick(seeded.TraceIds),
        });
        return Get($"X-Scope-OrgID '{Shorten(tenant)}' on {route}", route, new KeyValuePair<string, string>("X-Scope-OrgID", tenant));
    }

    private static FuzzCase TraversalCase(Random r)
    {
        var value = EscapeRaw(r.Pick(Traversal));
        var route = r.Pick(new[]
        {
            "/traces/{0}", "/api/traces/{0}", "/api/v2/traces/{0}", "/tempo/api/traces/{0}", "/services/{0}/operations", "/api/services/{0}/operations",
            "/api/search/tag/{0}/values", "/api/v2/search/tag/{0}/values", "/{0}/traces/abc", "/api/{0}/services", "/openapi/{0}", "/health/{0}", "/api/v3/traces/{0}",
        });
        var path = string.Format(CultureInfo.InvariantCulture, route, value);
        return Get($"GET {path}", path);
    }

    private static FuzzCase Long(Random r, SeededData seeded, bool full)
    {
        var length = r.Pick(full ? new[] { 1_000, 8_000, 16_000, 32_000, 64_000, 1_000_000 } : [1_000, 8_000, 16_000, 64_000, 1_000_000]);
        switch (r.Next(6))
        {
            case 0:
                return Get($"a {length}-character service path parameter", $"/services/{new string('s', length)}/operations");
            case 1:
                return Get($"a {length}-character service search value", "/spans?service=" + new string('s', length));
            case 2:
                var tags = string.Concat(Enumerable.Range(0, length / 20).Select(i => $"&tag=k{i}:v{i}"));
                return Get($"{length / 20} tag parameters", "/spans?limit=5" + tags);
            case 3:
                return r.Next(2) == 0
                    ? Get($"a Jaeger tags JSON of {length} characters", "/api/traces?service=" + r.Pick(seeded.Services) + "&tags=" + Uri.EscapeDataString("{\"k\":\"" + new string('v', length) + "\"}"))
                    : Get($"{length / 40} Jaeger traceID parameters", "/api/traces?" + string.Join('&', Enumerable.Range(0, length / 40).Select(_ => "traceID=" + r.Pick(seeded.TraceIds))));
            case 4:
                return Get($"a logfmt tags value of {length} characters", "/api/search?tags=" + Uri.EscapeDataString("service.name=\"" + new string('v', length) + "\""));
            default:
                var header = new string('h', length);
                return Get($"an Accept header of {length} characters", "/api/services", new KeyValuePair<string, string>("Accept", header), new KeyValuePair<string, string>("X-Custom", header));
        }
    }

    private static string Tag(Random r, SeededData seeded) => r.Next(6) switch
    {
        0 => "service.name:" + r.Pick(seeded.Services),
        1 => r.Pick(new[] { "http.route:/api/cart", "http.response.status_code:500", "error:true", "span.kind:server", "kind:weird", "status:boom", "name:GET /" }),
        2 => r.Pick(new[] { ":", ":v", "k", "k:", "::", "a:b:c", "%3A", "resource.:x", "span.:x" }),
        3 => new string('k', r.Next(1, 5000)) + ":" + new string('v', r.Next(0, 5000)),
        4 => r.Pick(Hostile) + ":" + r.Pick(Hostile),
        _ => "http.route:" + r.Pick(Traversal),
    };

    private static string JaegerTags(Random r, SeededData seeded) => r.Next(8) switch
    {
        0 => Uri.EscapeDataString("{\"service.name\":\"" + r.Pick(seeded.Services) + "\"}"),
        1 => Uri.EscapeDataString("{\"error\":\"true\",\"http.response.status_code\":500,\"x\":null,\"y\":[1],\"z\":{\"a\":1}}"),
        2 => Uri.EscapeDataString(r.Pick(new[] { "{", "[]", "null", "\"x\"", "1", "{\"a\":}", "{\"a\":1,\"a\":2}", "{\"\":\"\"}", "{\"k\":\"\\ud800\"}" })),
        3 => Uri.EscapeDataString(JsonMutations.DeepJson(r.Pick(new[] { 10, 64, 65, 1000 }), r.Next(2) == 0)),
        4 => Uri.EscapeDataString("{\"kind\":\"nope\",\"status\":\"maybe\"}"),
        5 => "%7B%22k%22%3A%22%FF%22%7D",
        6 => r.Pick(Hostile),
        _ => Uri.EscapeDataString("{\"span.kind\":\"client\"}"),
    };

    private static string Logfmt(Random r, SeededData seeded) => Uri.EscapeDataString(r.Next(7) switch
    {
        0 => $"service.name=\"{r.Pick(seeded.Services)}\"",
        1 => "service.name=\"unterminated",
        2 => r.Pick(new[] { "=", "=x", "k=", "k", "k==v", "k=\"a\\\"b\"", "k=\"\\\"", "a=1 b", "\"k\"=v", "k=v=w" }),
        3 => string.Join(' ', Enumerable.Range(0, r.Next(1, 200)).Select(i => $"k{i}=v{i}")),
        4 => "status=" + r.Pick(Statuses) + " kind=" + r.Pick(new[] { "server", "x", "" }),
        5 => "name=\"" + new string('\\', r.Next(1, 100)) + "\"",
        _ => "http.route=" + r.Pick(Traversal),
    });

    private static string Time(Random r, DateTimeOffset now, string unit)
    {
        if (r.Next(3) == 0)
        {
            return r.Pick(new[]
            {
                "", "0", "-1", "1e9", "abc", "18446744073709551615", "18446744073709551616", "9223372036854775807", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "2026-02-30T00:00:00Z", "2026-11-25T25:00:00Z", "2026-11-25", "now", "now-1h", "1764057600.5",
                "2026-11-25T09:00:00.123456789012Z", "%2B", "2026-11-25T09:00:00%2B01:00", "   ", "١٧٦٤٠٥٧٦٠٠",
            });
        }

        var time = now.AddMinutes(-r.Next(0, 24 * 60 * 10));
        return unit switch
        {
            "rfc3339" => r.Next(2) == 0 ? time.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : ((ulong)time.ToUnixTimeMilliseconds() * 1_000_000UL).ToString(CultureInfo.InvariantCulture),
            "rfc3339v3" => time.ToString(r.Next(2) == 0 ? "yyyy-MM-ddTHH:mm:ssZ" : "yyyy-MM-ddTHH:mm:ss.fffffff+00:00", CultureInfo.InvariantCulture),
            "us" => (time.ToUnixTimeMilliseconds() * 1000).ToString(CultureInfo.InvariantCulture),
            "ms" => time.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            _ => time.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
        };
    }

    private static List<(string, string)> Window(Random r, DateTimeOffset now)
    {
        var query = new List<(string, string)>();
        Maybe(r, query, "start", () => Time(r, now, "rfc3339"));
        Maybe(r, query, "end", () => Time(r, now, "rfc3339"));
        return query;
    }

    private static string Value(Random r, IReadOnlyList<string> valid) => r.Next(3) switch
    {
        0 => Uri.EscapeDataString(r.Pick(valid)),
        1 => EscapeRaw(r.Pick(Hostile)),
        _ => EscapeRaw(r.Pick(Traversal)),
    };

    /// <summary>Percent-encodes only what cannot travel raw in a path (space, '#', '?', non-ASCII); slashes, backslashes and '%' stay.</summary>
    private static string EscapeRaw(string value) => Escape(value).Replace("%26", "&", StringComparison.Ordinal).Replace("%2B", "+", StringComparison.Ordinal).Replace("?", "%3F", StringComparison.Ordinal);

    private static void Maybe(Random r, List<(string, string)> query, string name, Func<string> value)
    {
        if (r.Next(2) == 0)
        {
            query.Add((name, value()));
        }
    }

    /// <summary>The query string with values as generated: hostile ones stay raw (they are already percent-encoded where they must be).</summary>
    private static readonly string[] TraceQlTokens =
    [
        "{", "}", "(", ")", "|", ",", "&&", "||", "!", "=", "!=", ">", ">=", "<", "<=", "=~", "!~", "+", "-", "*", "/", "%", "^",
        ">>", "<<", "~", "!>>", "!>", "!<<", "!<", "!~", "&>>", "&>", "&<<", "&<", "&~",
        "span.http.route", "resource.service.name", ".service.name", "event.name", "link.traceID", "instrumentation.name",
        "span.\"a b\"", "nope.x", "name", "status", "kind", "duration", "traceDuration", "rootName", "rootServiceName",
        "span:id", "trace:id", "event:name", "link:spanID", "statusMessage", "error", "ok", "server", "client", "nil",
        "true", "false", "0", "-1", "500", "1.5e308", "9223372036854775808", "100ms", "2s", "1h", "\"cart\"", "\"(a+)+$\"",
        "count()", "avg(duration)", "min(", "max(span.x)", "sum(", "by(", "select(", "coalesce()", "with", "most_recent=true",
    ];

    /// <summary>TraceQL for the search routes: Grafana's shapes, random token soup, and the hostile kinds (deep nesting, huge literals, catastrophic regexes).</summary>
    private static string TraceQl(Random r, SeededData seeded)
    {
        var service = r.Pick(seeded.Services);
        switch (r.Next(8))
        {
            case 0:
                return r.Pick(new[] { "{}", "{ }", "{", "}", "{}}", "%7B%7D", "{ .service.name = \"cart\" }" });
            case 1:
                return $"{{ resource.service.name = \"{service}\" && span.http.response.status_code >= 500 && status = error }}";
            case 2:
                return $"({{ resource.service.name = \"{service}\" }} || {{ resource.service.name =~ \"a|b\" }}) && {{ traceDuration > 1ms }} | count() > 1";
            case 3:
                return $"{{ name != \"x\" }} >> {{ status = error }} | select(span.http.route, resource.service.name) with (most_recent=true)";
            case 4:
                var depth = r.Pick(new[] { 100, 129, 1_000, 3_000 });
                return new string('(', depth) + "{ true }" + new string(')', r.Next(2) == 0 ? depth : depth - 1);
            case 5:
                return $"{{ span.x = \"{new string('a', r.Pick(new[] { 1_000, 4_000 }))}\" }}";
            case 6:
                return "{ name =~ \"(a+)+$\" || .x =~ \"(.*a){20}\" || name =~ \"[\" }";
            default:
                var soup = new StringBuilder();
                for (var i = r.Next(1, 24); i > 0; i--)
                {
                    soup.Append(r.Pick(TraceQlTokens)).Append(' ');
                }

                return soup.ToString();
        }
    }

    private static string QueryString(List<(string Name, string Value)> query)
    {
        if (query.Count == 0)
        {
            return string.Empty;
        }

        var text = new StringBuilder("?");
        foreach (var (name, value) in query)
        {
            if (text.Length > 1)
            {
                text.Append('&');
            }

            text.Append(name).Append('=').Append(Escape(value));
        }

        return text.ToString();
    }

    /// <summary>Escapes what a URL cannot carry raw (spaces, non-ASCII, '#', '&amp;' inside a value) and keeps existing %XX escapes.</summary>
    private static string Escape(string value)
    {
        var text = new StringBuilder(value.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in value.EnumerateRunes())
        {
            if (rune.Value is > 0x20 and < 0x7F && rune.Value is not '#' and not '&' and not '+')
            {
                text.Append((char)rune.Value);
            }
            else
            {
                var n = rune.EncodeToUtf8(utf8);
                foreach (var b in utf8[..n])
                {
                    text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
        }

        return text.ToString();
    }

    private static string Shorten(string text, int length = 40) => text.Length <= length ? text : string.Concat(text.AsSpan(0, length), "…");
}
