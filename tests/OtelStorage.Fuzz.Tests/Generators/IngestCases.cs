using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Otlp.Json;

namespace OtelStorage.Fuzz.Tests.Generators;

/// <summary>The Ingest.Api categories: each turns generated inputs into OTLP/HTTP or OTLP/gRPC requests.</summary>
public static class IngestCases
{
    public const string TracesPath = "/v1/traces";
    public const string ExportPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    public const string Protobuf = "application/x-protobuf";
    public const string Json = "application/json";

    private static readonly string[] ContentTypes =
    [
        "application/x-protobuf", "application/json", "application/x-protobuf; charset=utf-8", "application/json; charset=utf-8", "APPLICATION/JSON",
        "application/json;charset=latin1", "application/x-protobuf+json", "application/protobuf", "application/grpc", "text/plain", "*/*", "application/",
        "application", "", ";", "application/json; charset=\"", "application/json, application/x-protobuf", "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded", "application/json; a=" + new string('b', 8000), "application/jsön", "application/x-protobuf\t",
    ];

    private static readonly string[] ContentEncodings =
    [
        "gzip", "GZIP", "identity", "IDENTITY", "deflate", "br", "zstd", "compress", "x-gzip", "gzip, gzip", "gzip, identity", "identity, gzip",
        " gzip", "gzip ", "gzip;q=1", "*", "", "gzıp", "snappy", new string('g', 16 * 1024),
    ];

    private static readonly string[] Tenants =
    [
        "", "a", "tenant-1", "fuzz-tenant", "../x", "..%2fx", "%2e%2e%2f", "a/b", "a\\b", ".", "..", "a b", "tënant", "租户", "😀", "a.b",
        new string('a', 64), new string('a', 65), new string('a', 10_000), "single-tenant,other", "x\ty", "$(id)", "'; DROP TABLE x;--", "%00", "CON", "a:b",
    ];

    public static FuzzCase Http(string description, byte[] body, string contentType = Protobuf, string? encoding = null, Expectation expect = Expectation.NoServerError, params KeyValuePair<string, string>[] headers)
    {
        var all = new List<KeyValuePair<string, string>> { new("Content-Type", contentType) };
        if (encoding is not null)
        {
            all.Add(new("Content-Encoding", encoding));
        }

        all.AddRange(headers);
        return new FuzzCase { Description = description, Target = FuzzTarget.IngestHttp, PathAndQuery = TracesPath, Body = body, Headers = all, Expect = expect, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>One gRPC length-prefixed message: the compressed flag, a 4-byte big-endian length, the message.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> message, byte flag = 0, uint? length = null)
    {
        var frame = new byte[5 + message.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), length ?? (uint)message.Length);
        message.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static FuzzCase Grpc(string description, byte[] body, GrpcAllowance allowance = GrpcAllowance.None, Expectation expect = Expectation.NoServerError, string path = ExportPath, params KeyValuePair<string, string>[] headers)
    {
        var all = new List<KeyValuePair<string, string>>();
        if (!headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            all.Add(new("Content-Type", "application/grpc"));
        }

        all.Add(new("TE", "trailers"));
        all.AddRange(headers);
        return new FuzzCase { Description = description, Target = FuzzTarget.IngestGrpc, PathAndQuery = path, Body = body, Headers = all, Grpc = allowance, Expect = expect, Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>The OTLP/HTTP protobuf categories.</summary>
    public static IEnumerable<FuzzCategory> HttpProtobuf(bool full) =>
    [
        Category("random-bytes", "random bytes as application/x-protobuf", 600, 12_000, 8, r => ProtobufMutations.RandomBytes(r)),
        Category("truncation", "valid requests cut at every kind of wire boundary", 800, 15_000, 8, ProtobufMutations.Truncation),
        Category("bit-flips", "valid requests with flipped, overwritten, inserted or deleted bytes", 800, 15_000, 8, ProtobufMutations.BitFlips),
        Category("wire-types", "wrong wire types and field types, bad lengths, overlong varints, unknown fields and groups", 800, 15_000, 8, ProtobufMutations.WireTypes),
        Category("deep-nesting", "AnyValue arrays, kvlists and unknown groups nested past the recursion limit", 100, 1_500, 4, r => ProtobufMutations.DeepNesting(r, full)),
        Category("invalid-utf8", "invalid UTF-8 and hostile text in every string field", 400, 8_000, 8, ProtobufMutations.InvalidUtf8Strings),
        Category("huge-values", "values near and over the 64 MiB request and 256 KiB message limits, huge counts", 8, 60, 1, r => ProtobufMutations.HugeValues(r, full)),
        Category("many-spans", "up to 250k tiny spans in one request, valid up to Otlp:MaxSpansPerRequest", 5, 30, 1, r => ProtobufMutations.ManySpans(r, full)),
    ];

    /// <summary>The OTLP/HTTP JSON categories.</summary>
    public static IEnumerable<FuzzCategory> HttpJson(bool full) =>
    [
        JsonCategory("json-mutations", "values of the wrong type, huge numbers, bad hex IDs, deep values, long strings", 800, 15_000, 8, JsonMutations.Mutate),
        JsonCategory("json-text", "truncated and malformed JSON text, duplicate keys, BOM, two documents", 400, 6_000, 8, JsonMutations.Text),
        JsonCategory("json-invalid-utf8", "invalid UTF-8 inside and outside JSON strings", 200, 4_000, 8, JsonMutations.InvalidUtf8),
        JsonCategory("json-deep", "AnyValue and plain JSON nested past every depth limit", 100, 1_500, 4, r => JsonMutations.Deep(r, full)),
    ];

    /// <summary>gzip bodies and the Content-Type and Content-Encoding headers.</summary>
    public static IEnumerable<FuzzCategory> HttpEncodings(bool full) =>
    [
        new("gzip-corrupt", FuzzTarget.IngestHttp, "gzip streams damaged in the header, deflate data or trailer; deflate and zlib; empty", 400, 6_000, 8, (r, _) =>
        {
            var input = GzipInputs.Corrupt(r);
            var json = r.Next(4) == 0;
            return Http(input.Description + (json ? " (sent as JSON)" : string.Empty), input.Body, json ? Json : Protobuf, "gzip");
        }),
        new("gzip-bomb", FuzzTarget.IngestHttp, "small bodies that inflate to 64 MiB + 1 byte up to 4 GiB, nested gzip", 10, 60, 2, (r, _) =>
        {
            var input = GzipInputs.Bomb(r, full);
            // The valid request inside is protobuf; bombs also go as JSON.
            return Http($"{input.Description} ({input.Body.Length} bytes on the wire)", input.Body, !input.Valid && r.Next(3) == 0 ? Json : Protobuf, "gzip", input.Valid ? Expectation.Success : Expectation.NoServerError);
        }),
        new("content-encoding", FuzzTarget.IngestHttp, "gzip bodies labelled otherwise, plain bodies labelled gzip, unknown encodings", 300, 5_000, 8, (r, _) =>
        {
            var request = OtlpSamples.Any(r);
            var json = r.Next(3) == 0;
            var plain = json ? Encoding.UTF8.GetBytes(OtlpJson.FormatRequest(request)) : request.ToByteArray();
            var gzipped = r.Next(2) == 0;
            var encoding = r.Next(5) == 0 ? null : r.Pick(ContentEncodings);
            return Http($"a {(gzipped ? "gzipped" : "plain")} valid {(json ? "JSON" : "protobuf")} body with Content-Encoding '{Shorten(encoding)}'", gzipped ? GzipInputs.Gzip(plain) : plain, json ? Json : Protobuf, encoding);
        }),
        new("http-headers", FuzzTarget.IngestHttp, "Content-Types, tenants, API-key headers, methods and paths around /v1/traces", 400, 6_000, 8, (r, _) => Headers(r)),
    ];

    /// <summary>The OTLP/gRPC categories: hostile messages in valid frames, broken framing, compression and headers.</summary>
    public static IEnumerable<FuzzCategory> Grpc(bool full) =>
    [
        new("grpc-messages", FuzzTarget.IngestGrpc, "the protobuf mutations above, each in a valid gRPC frame", 1_000, 18_000, 8, (r, _) =>
        {
            var input = ProtobufMutations.AnyMutation(r, full);
            return Grpc(input.Description, Frame(input.Message), expect: input.Valid ? Expectation.Success : Expectation.NoServerError);
        }),
        new("grpc-framing", FuzzTarget.IngestGrpc, "wrong length prefixes, compressed flags without grpc-encoding, truncated and extra frames", 500, 8_000, 8, (r, _) => Framing(r)),
        new("grpc-compression", FuzzTarget.IngestGrpc, "gzip messages: valid, corrupt, bombs; unknown grpc-encoding values", 100, 1_500, 4, (r, _) => Compression(r, full)),
        new("grpc-headers", FuzzTarget.IngestGrpc, "content types, tenants, grpc-timeout values, unknown methods", 300, 5_000, 8, (r, _) => GrpcHeaders(r)),
        new("grpc-oversize", FuzzTarget.IngestGrpc, "valid messages near and over the 64 MiB limit, large declared lengths", 4, 24, 1, (r, _) => Oversize(r)),
        new("grpc-many-spans", FuzzTarget.IngestGrpc, "up to 250k tiny spans in one message, valid up to Otlp:MaxSpansPerRequest", 4, 16, 1, (r, _) =>
        {
            var input = ProtobufMutations.ManySpans(r, full);
            // Over Otlp:MaxSpansPerRequest the request is refused with a client error, which NoServerError accepts.
            return Grpc(input.Description, Frame(input.Message), expect: input.Valid ? Expectation.Success : Expectation.NoServerError);
        }),
    ];

    private static FuzzCategory Category(string name, string what, int reduced, int fullCount, int parallelism, Func<Random, ProtobufInput> make) =>
        new(name, FuzzTarget.IngestHttp, what, reduced, fullCount, parallelism, (r, _) =>
        {
            var input = make(r);
            return Http(input.Description, input.Message, expect: input.Valid ? Expectation.Success : Expectation.NoServerError);
        });

    private static FuzzCategory JsonCategory(string name, string what, int reduced, int fullCount, int parallelism, Func<Random, JsonInput> make) =>
        new(name, FuzzTarget.IngestHttp, what, reduced, fullCount, parallelism, (r, _) =>
        {
            var input = make(r);
            return Http(input.Description, input.Body, r.Next(4) == 0 ? "application/json; charset=utf-8" : Json);
        });

    private static FuzzCase Headers(Random r)
    {
        var request = OtlpSamples.Minimal(r);
        var json = r.Next(2) == 0;
        var body = json ? Encoding.UTF8.GetBytes(OtlpJson.FormatRequest(request)) : request.ToByteArray();
        switch (r.Next(5))
        {
            case 0:
                var type = r.Pick(ContentTypes);
                return Http($"Content-Type '{Shorten(type)}'", body, type);
            case 1:
                var tenant = r.Pick(Tenants);
                return Http($"X-Scope-OrgID '{Shorten(tenant)}'", body, json ? Json : Protobuf, null, Expectation.NoServerError, new KeyValuePair<string, string>("X-Scope-OrgID", tenant));
            case 2:
                var auth = r.Pick(new[] { "Bearer", "Bearer ", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer " + new string('k', 8000), "😀", "Bearer \u00e9" });
                return Http($"Authorization '{Shorten(auth)}' and an X-API-Key (no keys are configured)", body, json ? Json : Protobuf, null, Expectation.NoServerError,
                    new KeyValuePair<string, string>("Authorization", auth), new KeyValuePair<string, string>("X-API-Key", r.Pick(Tenants)));
            case 3:
                var method = r.Pick(new[] { "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO" });
                return new FuzzCase
                {
                    Description = $"{method} {TracesPath}",
                    Target = FuzzTarget.IngestHttp,
                    Method = method,
                    PathAndQuery = TracesPath,
                    Body = method is "GET" or "HEAD" or "TRACE" ? null : body,
                    Headers = [new("Content-Type", json ? Json : Protobuf), new("Origin", "https://example.com"), new("Access-Control-Request-Method", "POST")],
                };
            default:
                var path = r.Pick(new[] { "/v1/traces/", "/V1/TRACES", "/v1/traces?x=1&x=2", "/v1/traces%00", "//v1/traces", "/v1/./traces", "/v1/x/../traces", "/v1/traces;a=b", "/v1/%74races" });
                return new FuzzCase { Description = $"POST {path}", Target = FuzzTarget.IngestHttp, PathAndQuery = path, Body = body, Headers = [new("Content-Type", json ? Json : Protobuf)] };
        }
    }

    private static FuzzCase Framing(Random r)
    {
        var message = OtlpSamples.Any(r).ToByteArray();
        var broken = GrpcAllowance.FramingInternal;
        switch (r.Next(12))
        {
            case 0:
                var more = (uint)message.Length + (uint)r.Next(1, 1000);
                return Grpc($"a length prefix of {more} for a {message.Length}-byte message (truncated frame)", Frame(message, length: more), broken);
            case 1:
                var less = (uint)r.Next(0, message.Length);
                return Grpc($"a length prefix of {less} for a {message.Length}-byte message (extra bytes after the frame)", Frame(message, length: less), broken);
            case 2:
                return Grpc("the compressed flag without grpc-encoding", Frame(message, flag: 1), broken);
            case 3:
                var flag = (byte)r.Next(2, 256);
                return Grpc($"compressed flag {flag}", Frame(message, flag: flag), broken);
            case 4:
                return Grpc("no frame at all (an empty body)", [], broken);
            case 5:
                var header = r.Next(1, 5);
                return Grpc($"only {header} bytes of a frame header", Frame(message)[..header], broken);
            case 6:
                return Grpc("two frames in a unary call", [.. Frame(message), .. Frame(message)], broken);
            case 7:
                return Grpc("a frame cut inside its message", Frame(message)[..(5 + r.Next(0, message.Length))], broken);
            case 8:
                var huge = r.Pick(new[] { uint.MaxValue, (uint)int.MaxValue, (uint)ProtobufMutations.RequestLimit + 1 });
                return Grpc($"a declared length of {huge} with a {message.Length}-byte message", Frame(message, length: huge), broken | GrpcAllowance.ResourceExhausted);
            case 9:
                return Grpc("a valid frame followed by random bytes", [.. Frame(message), .. r.Bytes(r.Next(1, 64))], broken);
            case 10:
                return Grpc("a zero-length frame (an empty request)", Frame([]), expect: Expectation.Success);
            default:
                return Grpc("random bytes as the whole body", r.Bytes(r.Next(1, 4096)), broken | GrpcAllowance.ResourceExhausted);
        }
    }

    private static FuzzCase Compression(Random r, bool full)
    {
        var message = OtlpSamples.Any(r).ToByteArray();
        var gzip = new KeyValuePair<string, string>("grpc-encoding", "gzip");
        switch (r.Next(8))
        {
            case 0:
                return Grpc("a valid gzip-compressed message", Frame(GzipInputs.Gzip(message), flag: 1), expect: Expectation.Success, headers: gzip);
            case 1:
                var corrupt = GzipInputs.Corrupt(r);
                return Grpc($"a compressed frame holding {corrupt.Description}", Frame(corrupt.Body, flag: 1), GrpcAllowance.FramingInternal, headers: gzip);
            case 2:
                var bomb = GzipInputs.Bomb(r, full);
                return Grpc($"a compressed frame holding {bomb.Description}", Frame(bomb.Body, flag: 1), GrpcAllowance.ResourceExhausted | GrpcAllowance.FramingInternal, bomb.Valid ? Expectation.Success : Expectation.NoServerError, headers: gzip);
            case 3:
                return Grpc("grpc-encoding gzip with an uncompressed frame (flag 0)", Frame(message), headers: gzip, expect: Expectation.Success);
            case 4:
                return Grpc("grpc-encoding gzip, flag 1, the message not compressed", Frame(message, flag: 1), GrpcAllowance.FramingInternal, headers: gzip);
            case 5:
                var encoding = r.Pick(new[] { "deflate", "snappy", "zstd", "br", "identity", "GZIP", "gzip, deflate", "", "x" + new string('y', 4000) });
                return Grpc($"grpc-encoding '{Shorten(encoding)}' with a compressed flag", Frame(GzipInputs.Gzip(message), flag: 1), GrpcAllowance.Unimplemented | GrpcAllowance.FramingInternal, headers: new KeyValuePair<string, string>("grpc-encoding", encoding));
            case 6:
                return Grpc("grpc-accept-encoding and grpc-encoding gzip with a valid message", Frame(GzipInputs.Gzip(message), flag: 1), expect: Expectation.Success, headers: [gzip, new("grpc-accept-encoding", "gzip,identity,deflate")]);
            default:
                var mutated = ProtobufMutations.AnyMutation(r, full);
                return Grpc($"gzip of {mutated.Description}", Frame(GzipInputs.Gzip(mutated.Message), flag: 1), expect: mutated.Valid ? Expectation.Success : Expectation.NoServerError, headers: gzip);
        }
    }

    private static FuzzCase GrpcHeaders(Random r)
    {
        var frame = Frame(OtlpSamples.Minimal(r).ToByteArray());
        switch (r.Next(5))
        {
            case 0:
                var type = r.Pick(new[] { "application/grpc+proto", "application/grpc+json", "application/grpc-web", "application/json", "text/plain", "application/grpcx", "" });
                return Grpc($"content-type '{type}'", frame, GrpcAllowance.Unimplemented, headers: new KeyValuePair<string, string>("Content-Type", type));
            case 1:
                var tenant = r.Pick(Tenants);
                return Grpc($"x-scope-orgid '{Shorten(tenant)}'", frame, headers: new KeyValuePair<string, string>("x-scope-orgid", tenant));
            case 2:
                var timeout = r.Pick(new[] { "1n", "1u", "1m", "0S", "99999999H", "100000000S", "-1S", "abc", "1", "1X", "", "99999999n" });
                return Grpc($"grpc-timeout '{timeout}'", frame, GrpcAllowance.Deadline, headers: new KeyValuePair<string, string>("grpc-timeout", timeout));
            case 3:
                var path = r.Pick(new[]
                {
                    "/opentelemetry.proto.collector.trace.v1.TraceService/Nope", "/opentelemetry.proto.collector.logs.v1.LogsService/Export", "/x/y", "/",
                    "/opentelemetry.proto.collector.trace.v1.TraceService/export", "/opentelemetry.proto.collector.trace.v1.TraceService/Export/", "/grpc.health.v1.Health/Check",
                });
                return Grpc($"path {path}", frame, GrpcAllowance.Unimplemented, path: path);
            default:
                return Grpc("custom binary metadata and a long user agent", frame, headers:
                [
                    new("x-custom-bin", Convert.ToBase64String(r.Bytes(64))), new("User-Agent", new string('u', 4000)), new("grpc-message-type", "x"),
                ]);
        }
    }

    private static FuzzCase Oversize(Random r)
    {
        var target = r.Next(4) switch
        {
            0 => ProtobufMutations.RequestLimit - r.Next(0, 4),
            1 => ProtobufMutations.RequestLimit + r.Next(1, 4),
            2 => ProtobufMutations.RequestLimit / 2,
            _ => ProtobufMutations.RequestLimit + (1 << 20),
        };
        var message = ProtobufMutations.SizedRequest(OtlpSamples.Minimal(r), target, out var exact);
        return message.Length <= ProtobufMutations.RequestLimit
            ? Grpc($"a valid {message.Length}-byte message (limit {ProtobufMutations.RequestLimit})", Frame(message), expect: exact ? Expectation.Success : Expectation.NoServerError)
            : Grpc($"a {message.Length}-byte message, over the limit", Frame(message), GrpcAllowance.ResourceExhausted);
    }

    private static string Shorten(string? text) => text is null ? "(none)" : text.Length <= 40 ? text : string.Concat(text.AsSpan(0, 40), "…");
}
