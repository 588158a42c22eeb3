using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using Query.Api.Tests;
using Xunit;

[assembly: AssemblyFixture(typeof(QueryApiFixture))]

namespace Query.Api.Tests;

/// <summary>
/// One real s3rver for the whole assembly, Query.Api hosted in-process over it (WebApplicationFactory), and a
/// BlockStore that writes blocks with the real v1 writer. Tests isolate themselves by tenant.
/// </summary>
public sealed class QueryApiFixture : IAsyncLifetime
{
    public S3rverServer S3 { get; } = new();

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public BlockStore Writer { get; private set; } = null!;

    /// <summary>Where <see cref="Writer"/> writes: the s3rver bucket.</summary>
    public ObjectStoreOptions ObjectStoreOptions { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        await S3.InitializeAsync();
        Factory = CreateFactory(new Dictionary<string, string?>());
        ObjectStoreOptions.ApplyConnectionString(S3.ConnectionString);
        var options = Microsoft.Extensions.Options.Options.Create(ObjectStoreOptions);
        Writer = new BlockStore(new S3ObjectStore(options), options);
    }

    /// <summary>A Query.Api over this s3rver with extra configuration (for example API keys).</summary>
    public WebApplicationFactory<Program> CreateFactory(IReadOnlyDictionary<string, string?> settings) =>
        new SerialHostFactory().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:objectstore", S3.ConnectionString);
            web.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in settings)
            {
                web.UseSetting(key, value);
            }

            web.ConfigureLogging(logging => logging.AddFakeLogging());
        });

    public HttpClient Client(string? tenant)
    {
        var client = Factory.CreateClient();
        if (tenant is not null)
        {
            client.DefaultRequestHeaders.Add("X-Scope-OrgID", tenant);
        }

        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>Builds and commits a block with the real writer; <paramref name="configure"/> may edit meta.json (for example replaces).</summary>
    public async Task<BlockMeta> WriteBlockAsync(string tenant, IEnumerable<ExportTraceServiceRequest> requests, Action<BlockMeta>? configure = null, int rowGroupSpans = 10_000)
    {
        var builder = BlockEncodings.Current.CreateBuilder(tenant, new BlockBuildOptions { RowGroupSpans = rowGroupSpans });
        foreach (var r in requests)
        {
            builder.Add(r.Clone());
        }

        var now = DateTimeOffset.UtcNow;
        var block = await builder.BuildAsync(BlockId.New(now), now, CancellationToken.None);
        configure?.Invoke(block.Meta);
        await Writer.WriteAsync(block, CancellationToken.None);
        return block.Meta;
    }

    public static string NewTenant() => "t-" + Guid.NewGuid().ToString("N")[..12];

    public async ValueTask DisposeAsync()
    {
        await Factory.DisposeAsync();
        await S3.DisposeAsync();
    }
}

/// <summary>
/// Builds and starts one Query.Api host at a time. WebApplicationFactory finds a minimal-hosting app's host through a
/// process-wide DiagnosticListener, so factories of the same Program building at once, in test classes that run in
/// parallel, can pick up each other's host and configuration.
/// </summary>
internal sealed class SerialHostFactory : WebApplicationFactory<Program>
{
    private static readonly Lock Building = new();

    protected override IHost CreateHost(IHostBuilder builder)
    {
        lock (Building)
        {
            return base.CreateHost(builder);
        }
    }
}
