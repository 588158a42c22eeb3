using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Otlp.Json;

namespace OtelStorage.LoadGen.Sending;

/// <summary>
/// Sends serialized ExportTraceServiceRequests to an OTLP endpoint the way the official exporters do: gRPC and
/// http/protobuf send the bytes as they are, http/json parses them and sends the JSON encoding.
/// </summary>
public abstract class OtlpSender : IDisposable
{
    public static OtlpSender Create(OtlpProtocol protocol, Uri endpoint, IReadOnlyDictionary<string, string> headers, TimeSpan timeout) => protocol switch
    {
        OtlpProtocol.Grpc => new GrpcSender(endpoint, headers, timeout),
        _ => new HttpSender(endpoint, headers, timeout, json: protocol == OtlpProtocol.HttpJson),
    };

    /// <summary>Exports <paramref name="request"/>, the bytes of one ExportTraceServiceRequest.</summary>
    public abstract Task<SendResult> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken);

    public abstract void Dispose();

    private sealed class GrpcSender : OtlpSender
    {
        /// <summary>TraceService/Export with the request already serialized, so the client copies bytes instead of serializing again.</summary>
        private static readonly Method<SerializedRequest, ExportTraceServiceResponse> Export = new(
            MethodType.Unary,
            TraceService.Descriptor.FullName,
            "Export",
            Marshallers.Create<SerializedRequest>(WriteBytes, _ => throw new NotSupportedException("the load generator only sends requests")),
            Marshallers.Create<ExportTraceServiceResponse>(
                (_, _) => throw new NotSupportedException("the load generator only reads responses"),
                context => ExportTraceServiceResponse.Parser.ParseFrom(context.PayloadAsReadOnlySequence())));

        private readonly GrpcChannel _channel;
        private readonly CallInvoker _invoker;
        private readonly Metadata _headers = [];
        private readonly TimeSpan _timeout;

        public GrpcSender(Uri endpoint, IReadOnlyDictionary<string, string> headers, TimeSpan timeout)
        {
            _channel = GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions { MaxSendMessageSize = 64 * 1024 * 1024 });
            _invoker = _channel.CreateCallInvoker();
            foreach (var (key, value) in headers)
            {
                _headers.Add(key.ToLowerInvariant(), value);
            }

            _timeout = timeout;
        }

        public override async Task<SendResult> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            try
            {
                var options = new CallOptions(_headers, DateTime.UtcNow + _timeout, cancellationToken);
                var response = await _invoker.AsyncUnaryCall(Export, null, options, new SerializedRequest(request));
                return SendResult.Success(response.PartialSuccess?.RejectedSpans ?? 0);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                return SendResult.Failure("grpc " + e.StatusCode);
            }
        }

        public override void Dispose() => _channel.Dispose();

        private static void WriteBytes(SerializedRequest request, SerializationContext context)
        {
            context.SetPayloadLength(request.Bytes.Length);
            context.GetBufferWriter().Write(request.Bytes.Span);
            context.Complete();
        }

        /// <summary>gRPC's Method needs a reference type for the request.</summary>
        private sealed record SerializedRequest(ReadOnlyMemory<byte> Bytes);
    }

    private sealed class HttpSender : OtlpSender
    {
        private static readonly MediaTypeHeaderValue Protobuf = new("application/x-protobuf");
        private static readonly MediaTypeHeaderValue Json = new("application/json");
        private static readonly JsonParser ResponseJsonParser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
        private readonly HttpClient _client;
        private readonly bool _json;

        public HttpSender(Uri endpoint, IReadOnlyDictionary<string, string> headers, TimeSpan timeout, bool json)
        {
            _json = json;
            var baseUri = endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal) ? endpoint : new Uri(endpoint, "/v1/traces");
            _client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            {
                BaseAddress = baseUri,
                Timeout = timeout,
            };
            foreach (var (key, value) in headers)
            {
                _client.DefaultRequestHeaders.TryAddWithoutValidation(key, value);
            }
        }

        public override async Task<SendResult> SendAsync(ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            // JSON is not the hot path: it parses the bytes and formats the request as the exporters would.
            using HttpContent content = _json
                ? new ByteArrayContent(System.Text.Encoding.UTF8.GetBytes(OtlpJson.FormatRequest(ExportTraceServiceRequest.Parser.ParseFrom(request.Span))))
                : new ReadOnlyMemoryContent(request);
            content.Headers.ContentType = _json ? Json : Protobuf;
            try
            {
                using var response = await _client.PostAsync((Uri?)null, content, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return SendResult.Failure("http " + (int)response.StatusCode);
                }

                var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
                // The JSON response holds no IDs, so the stock parser reads it correctly.
                var parsed = _json
                    ? ResponseJsonParser.Parse<ExportTraceServiceResponse>(System.Text.Encoding.UTF8.GetString(body))
                    : ExportTraceServiceResponse.Parser.ParseFrom(body);
                return SendResult.Success(parsed.PartialSuccess?.RejectedSpans ?? 0);
            }
            catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
            {
                return SendResult.Failure("http " + (e.HttpRequestError == HttpRequestError.Unknown ? "error" : e.HttpRequestError.ToString()));
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return SendResult.Failure("http timeout");
            }
        }

        public override void Dispose() => _client.Dispose();
    }
}
