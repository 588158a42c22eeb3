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
