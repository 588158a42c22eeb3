using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Testing;
using Xunit;

namespace Ingest.Api.Tests.Infrastructure;

/// <summary>
/// The real Ingest.Api (its Program, DI and Kestrel listeners) on free loopback ports, against a real broker.
/// Each instance publishes to its own queue unless told otherwise, so tests sharing a broker do not mix messages.
/// </summary>
public sealed class IngestApp : IAsyncDisposable
{
    private readonly WebApplicationFactory<Program> _factory;

    private IngestApp(WebApplicationFactory<Program> factory, Dictionary<string, string?> settings)
    {
        _factory = factory;
        Settings = settings;
    }

    public IReadOnlyDictionary<string, string?> Settings { get; }

    public string Queue => Settings["Messaging:Queue"]!;

    public int GrpcPort => int.Parse(Settings["Otlp:GrpcPort"]!, System.Globalization.CultureInfo.InvariantCulture);

    public int HttpPort => int.Parse(Settings["Otlp:HttpPort"]!, System.Globalization.CultureInfo.InvariantCulture);

    public Uri HttpEndpoint => new($"http://127.0.0.1:{HttpPort}");

    public Uri GrpcEndpoint => new($"http://127.0.0.1:{GrpcPort}");

    public Uri TracesUri => new(HttpEndpoint, "/v1/traces");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public GrpcChannel GrpcChannel => field ??= GrpcChannel.ForAddress(GrpcEndpoint, new GrpcChannelOptions { MaxSendMessageSize = null });

    public TraceService.TraceServiceClient Grpc => new(GrpcChannel);

    public IServiceProvider Services => _factory.Services;

    /// <summary>Every log record the service wrote at or above the configured level.</summary>
    public IReadOnlyList<FakeLogRecord> Logs => _factory.Services.GetFakeLogCollector().GetSnapshot();

    public static async Task<IngestApp> StartAsync(RabbitMqServer broker, IDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = broker.ConnectionString,
            ["Messaging:Queue"] = "spans-" + Guid.NewGuid().ToString("N")[..8],
            ["Otlp:GrpcPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Otlp:HttpPort"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureLogging(logging => logging.ClearProviders().AddFakeLogging());
        });
        factory.UseKestrel();
        var app = new IngestApp(factory, settings);
        await Task.Run(factory.StartServer).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await FreePort.WaitForListenerAsync(app.HttpPort, TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        GrpcChannel.Dispose();
        await _factory.DisposeAsync();
    }
}
