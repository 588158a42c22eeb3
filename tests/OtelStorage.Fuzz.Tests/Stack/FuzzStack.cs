using System.Net;
using Google.Protobuf;
using Grpc.Net.Client;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Fuzz.Tests.Engine;
using OtelStorage.Fuzz.Tests.Generators;
using OtelStorage.Fuzz.Tests.Stack;
using OtelStorage.Storage.Blocks;
using OtelStorage.Testing;
using OtelStorage.Workload;
using Xunit;

[assembly: AssemblyFixture(typeof(FuzzStack))]
// One category at a time: memory is measured per test, and the 2-core machine is shared by the client and three services.
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]

namespace OtelStorage.Fuzz.Tests.Stack;

/// <summary>
/// The live system under fuzz: a <see cref="ServiceStack"/> (RabbitMQ, s3rver, Ingest.Api, Batcher.Worker,
/// Compactor.Worker and Query.Api as processes on free loopback ports) with short batches, fast compaction and a fast
/// block poll. Before the services start, blocks of realistic spans are written to the store, so searches scan real
/// data. The fixture also keeps the run's ledger and writes the summary when the assembly is done.
/// </summary>
public sealed class FuzzStack : ServiceStack
{
    /// <summary>The tenant the seeded blocks are written for, besides the default one.</summary>
    public const string SeededTenant = "fuzz-tenant";

    private readonly SemaphoreSlim _restart = new(1, 1);

    public FuzzStack()
        : this(FuzzSettings.FromEnvironment())
    {
    }

    private FuzzStack(FuzzSettings settings)
        : base(Options(settings)) => Settings = settings;

    public FuzzSettings Settings { get; }

    public FuzzLedger Ledger { get; private set; } = null!;

    public FuzzClient Client { get; private set; } = null!;

    /// <summary>Trace IDs (hex) and service names in the seeded blocks, for valid queries.</summary>
    public SeededData Seeded { get; private set; } = null!;

    public override async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Ledger = new FuzzLedger(Settings);
        await base.InitializeAsync();
        Client = new FuzzClient(target => target switch
        {
            FuzzTarget.IngestHttp => IngestHttp,
            FuzzTarget.IngestGrpc => IngestGrpc,
            _ => QueryUri,
        });
    }

    public ServiceProcess Service(FuzzTarget target) => target == FuzzTarget.Query ? Query : Ingest;

    /// <summary>
    /// After a crash, records it and starts the service again so the run can go on; the crash fails the test.
    /// Returns false when the service was alive.
    /// </summary>
    public async Task<bool> RestartIfExitedAsync(ServiceProcess service, CancellationToken cancellationToken)
    {
        if (service.Id is not null)
        {
            return false;
        }

        await _restart.WaitAsync(cancellationToken);
        try
        {
            if (service.Id is null)
            {
                await service.StartAsync(cancellationToken);
            }

            return true;
        }
        finally
        {
            _restart.Release();
        }
    }

    /// <summary>
    /// The after-run checks: every service is alive and healthy, valid exports over OTLP/HTTP (protobuf and JSON) and
    /// OTLP/gRPC succeed, and Query.Api finds a seeded trace and answers a search. Returns the problems found.
    /// </summary>
    public async Task<List<string>> CheckStillServingAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var service in Services)
        {
            if (service.Process.Id is null)
            {
                problems.Add($"{service.Name} is not running");
            }
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        foreach (var health in Services.Select(s => s.Health))
        {
            try
            {
                using var response = await http.GetAsync(health, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    problems.Add($"{health} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
                }
            }
            catch (HttpRequestException e)
            {
                problems.Add($"{health} did not answer: {e.Message}");
            }
        }

        var request = OtlpSamples.Minimal(new Random(1));
        using (var protobuf = await http.PostAsync(new Uri(IngestHttp, "/v1/traces"), new ByteArrayContent(request.ToByteArray()) { Headers = { ContentType = new("application/x-protobuf") } }, cancellationToken))
        {
            if (protobuf.StatusCode != HttpStatusCode.OK)
            {
                problems.Add($"a valid OTLP/HTTP protobuf export answered {(int)protobuf.StatusCode}");
            }
        }

        using (var json = await http.PostAsync(new Uri(IngestHttp, "/v1/traces"), new StringContent(OtelStorage.Otlp.Json.OtlpJson.FormatRequest(OtlpSamples.Minimal(new Random(2))), System.Text.Encoding.UTF8, "application/json"), cancellationToken))
        {
            if (json.StatusCode != HttpStatusCode.OK)
            {
                problems.Add($"a valid OTLP/HTTP JSON export answered {(int)json.StatusCode}");
            }
        }

        try
        {
            using var channel = GrpcChannel.ForAddress(IngestGrpc);
            var response = await new TraceService.TraceServiceClient(channel).ExportAsync(OtlpSamples.Minimal(new Random(3)), deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken);
            if (response.PartialSuccess is not null)
            {
                problems.Add($"a valid OTLP/gRPC export got partial success: {response.PartialSuccess}");
            }
        }
        catch (Grpc.Core.RpcException e)
        {
            problems.Add($"a valid OTLP/gRPC export failed: {e.Status}");
        }

        using (var trace = await http.GetAsync(new Uri(QueryUri, "/traces/" + Seeded.TraceIds[0]), cancellationToken))
        {
            if (trace.StatusCode != HttpStatusCode.OK)
            {
                problems.Add($"GET /traces/{Seeded.TraceIds[0]} (seeded) answered {(int)trace.StatusCode}");
            }
        }

        using (var search = await http.GetAsync(new Uri(QueryUri, "/spans?service=" + Uri.EscapeDataString(Seeded.Services[0]) + "&limit=5"), cancellationToken))
        {
            var body = await search.Content.ReadAsStringAsync(cancellationToken);
            if (search.StatusCode != HttpStatusCode.OK || !body.Contains(Seeded.Services[0], StringComparison.Ordinal))
            {
                problems.Add($"GET /spans?service={Seeded.Services[0]} answered {(int)search.StatusCode} without the service's spans: {body[..Math.Min(body.Length, 300)]}");
            }
        }

        return problems;
    }

    /// <summary>Exports one valid trace over OTLP/HTTP and waits until Query.Api returns it by ID: the whole pipeline still works.</summary>
    public async Task<string?> CheckEndToEndAsync(CancellationToken cancellationToken)
    {
        var request = OtlpSamples.Minimal(new Random(Environment.TickCount));
        var traceId = Convert.ToHexStringLower(request.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId.Span);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using (var export = await http.PostAsync(new Uri(IngestHttp, "/v1/traces"), new ByteArrayContent(request.ToByteArray()) { Headers = { ContentType = new("application/x-protobuf") } }, cancellationToken))
        {
            if (export.StatusCode != HttpStatusCode.OK)
            {
                return $"the end-to-end export answered {(int)export.StatusCode}";
            }
        }

        try
        {
            await Eventually.TrueAsync(
                async ct =>
                {
                    using var trace = await http.GetAsync(new Uri(QueryUri, "/traces/" + traceId), ct);
                    return trace.StatusCode == HttpStatusCode.OK;
                },
                TimeSpan.FromSeconds(60),
                cancellationToken,
                what: $"GET /traces/{traceId}",
                interval: TimeSpan.FromMilliseconds(250));
            return null;
        }
        catch (TimeoutException)
        {
            return $"trace {traceId}, exported and acknowledged, was not returned by GET /traces/{{id}} within 60 s";
        }
    }

    /// <summary>Waits until Query.Api returns every one of <paramref name="traceIds"/> (or fails after 60 s, naming the missing ones).</summary>
    public async Task WaitUntilQueryableAsync(IReadOnlyList<string> traceIds, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var missing = new List<string>(traceIds);
        await Eventually.ValueAsync(
            async ct =>
            {
                // Only the traces not yet returned are asked for again.
                var still = new List<string>();
                foreach (var id in missing)
                {
                    using var response = await http.GetAsync(new Uri(QueryUri, "/traces/" + id), ct);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        still.Add(id);
                    }
                }

                return missing = still;
            },
            still => still.Count == 0,
            TimeSpan.FromSeconds(60),
            cancellationToken,
            what: $"GET /traces/{{id}} to return each of {traceIds.Count} acknowledged traces",
            describe: still => $"{still.Count} missing: {string.Join(", ", still.Take(10))}",
            interval: TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Error lines the services logged (unhandled exceptions and the like), from the tail of their output.</summary>
    public IReadOnlyList<string> ErrorLogLines()
    {
        var lines = new List<string>();
        foreach (var service in Services)
        {
            var output = service.Process.Output.Split('\n');
            for (var i = 0; i < output.Length; i++)
            {
                if (output[i].StartsWith("fail:", StringComparison.Ordinal) || output[i].StartsWith("crit:", StringComparison.Ordinal))
                {
                    // The entry's header line, its message and the first lines of its exception.
                    var entry = output.Skip(i).Take(6).TakeWhile((line, n) => n == 0 || line.StartsWith(' ')).Select(line => line.Trim());
                    lines.Add($"{service.Name}: {string.Join(" | ", entry)}");
                }
            }
        }

        return lines;
    }

    /// <summary>The run's summary, with each service's memory at the end, before the processes stop.</summary>
    protected override ValueTask BeforeStopAsync()
    {
        try
        {
            Ledger?.WriteSummary(Memory());
        }
        finally
        {
            Client?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Blocks of realistic spans, written before the services start so that Query.Api finds them at its first poll.</summary>
    protected override async Task BeforeServicesStartAsync(CancellationToken cancellationToken) => Seeded = await SeedBlocksAsync(cancellationToken);

    private async Task<SeededData> SeedBlocksAsync(CancellationToken cancellationToken)
    {
        var generator = new RealisticSpanGenerator(seed: 7, start: DateTimeOffset.UtcNow.AddMinutes(-30));
        var traceIds = new List<string>();
        var services = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var tenant in new[] { "single-tenant", "single-tenant", SeededTenant })
        {
            var builder = BlockEncodings.Current.CreateBuilder(tenant, new BlockBuildOptions { RowGroupSpans = 500 });
            for (var i = 0; i < 10; i++)
            {
                var request = generator.NextRequest(200);
                foreach (var resourceSpans in request.ResourceSpans)
                {
                    services.Add(resourceSpans.Resource.Attributes.First(a => a.Key == "service.name").Value.StringValue);
                    foreach (var span in resourceSpans.ScopeSpans.SelectMany(s => s.Spans))
                    {
                        if (tenant == "single-tenant" && traceIds.Count < 50)
                        {
                            var hex = Convert.ToHexStringLower(span.TraceId.Span);
                            if (!traceIds.Contains(hex))
                            {
                                traceIds.Add(hex);
                            }
                        }
                    }
                }

                builder.Add(request);
            }

            var now = DateTimeOffset.UtcNow;
            await Blocks.WriteAsync(await builder.BuildAsync(BlockId.New(now), now, cancellationToken), cancellationToken);
        }

        return new SeededData(traceIds, [.. services]);
    }

    private static ServiceStackOptions Options(FuzzSettings settings) => new()
    {
        // Warnings and errors only: the tail of each service's output is scanned for unhandled exceptions.
        Common = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning",
        },
        // Short batches, so spans ingested by the run are searchable within a second or two.
        Batcher = new Dictionary<string, string> { ["processing__batch_timeout_ms"] = "500" },
        // Blocks 5 s old are merged, so the hostile spans the run stores are compacted while it runs.
        Compactor = new Dictionary<string, string>
        {
            ["Compaction__Interval"] = "00:00:02",
            ["Compaction__MinBlockAge"] = "00:00:05",
        },
        Query = new Dictionary<string, string> { ["Query__BlockPollInterval"] = "00:00:00.250" },
        // Next to the summary, for the failures' stack traces.
        OutputFolder = Path.Combine(settings.OutputDirectory, "logs"),
    };
}

/// <summary>What the seeded blocks hold, for valid queries.</summary>
public sealed record SeededData(IReadOnlyList<string> TraceIds, IReadOnlyList<string> Services);
