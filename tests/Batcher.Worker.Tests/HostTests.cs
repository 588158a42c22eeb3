using Batcher.Worker.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

namespace Batcher.Worker.Tests;

[Collection(BrokerAndStoreCollection.Name)]
public sealed class HostTests(RabbitMqServer rabbit, S3rverServer s3)
{
    [Fact]
    public async Task TheHostBindsTheSeedKeysAndWritesBlocks()
    {
        await using var harness = new BatcherHarness(rabbit, s3);
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
            ["ConnectionStrings:objectstore"] = s3.ConnectionString,
            ["Storage:Prefix"] = harness.Keys.Root.TrimEnd('/'),
            ["Messaging:Queue"] = harness.Queue.Queue,
            ["processing:batch_size"] = "100",
            ["processing:batch_timeout_ms"] = "200",
            ["processing:replica_id"] = "host-test",
        });
        builder.AddApplicationServices();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var requests = new RealisticSpanGenerator(seed: 1).Requests(450, 150).ToList();
            foreach (var r in requests)
            {
                await harness.PublishAsync(r);
            }

            var spans = requests.Sum(r => r.ResourceSpans.Sum(rs => rs.ScopeSpans.Sum(ss => ss.Spans.Count)));
            var metas = await harness.WaitForSpansAsync("acme", spans, TimeSpan.FromSeconds(60));

            // batch_size 100 cuts a block at every message of 150 spans.
            Assert.Equal(requests.Count, metas.Count);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task SigtermStopsTheProcessWithinTheOrchestratorsGraceEvenWhenTheTelemetryEndpointHangs()
    {
        // A telemetry endpoint that accepts connections and never answers, as a stalled dashboard or collector would.
        using var hungEndpoint = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        hungEndpoint.Start();
        var port = FreePort.Next();
        using var service = new ServiceProcess("Batcher.Worker", new Dictionary<string, string>
        {
            ["ConnectionStrings__messaging"] = rabbit.ConnectionString,
            ["ConnectionStrings__objectstore"] = s3.ConnectionString,
            ["Messaging__Queue"] = "sigterm-" + Guid.NewGuid().ToString("N")[..8],
            ["Batcher__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)hungEndpoint.LocalEndpoint).Port}",
        }, $"http://127.0.0.1:{port}/health");
        await service.StartAsync(TestContext.Current.CancellationToken);

        var stopping = System.Diagnostics.Stopwatch.StartNew();
        var exitCode = await service.TerminateAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // Aspire's DCP gives a stopping process about 10 s; each telemetry provider's own 5 s shutdown in turn would take 15 s.
        Assert.Equal(0, exitCode);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(8), $"SIGTERM took {stopping.Elapsed.TotalSeconds:F1} s to stop the process\n{service.Output}");
    }

    [Theory]
    [InlineData("processing:batch_size", "0", "processing:batch_size must be between")]
    [InlineData("processing:prefetch", "70000", "processing:prefetch must be between")]
    [InlineData("processing:retry_max_ms", "10", "processing:retry_max_ms (10) must be at least processing:retry_initial_ms")]
    [InlineData("processing:compression", "NoCompression", "processing:compression must be")]
    public async Task BadConfigurationStopsTheStartWithAMessageNamingTheKey(string key, string value, string message)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = rabbit.ConnectionString,
            ["ConnectionStrings:objectstore"] = s3.ConnectionString,
            [key] = value,
        });
        builder.AddApplicationServices();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
