using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using Xunit;

namespace OtelStorage.Testing;

/// <summary>One service of a <see cref="ServiceStack"/>: its name in reports and logs, its process, and its readiness URL.</summary>
public sealed record StackService(string Name, ServiceProcess Process, Uri Health);

/// <summary>
/// The whole system as plain processes on free loopback ports: RabbitMQ and s3rver, then Ingest.Api, one or more
/// Batcher.Worker replicas, Compactor.Worker and Query.Api, each run from its build output (<see cref="ServiceProcess"/>)
/// and configured by environment variables, each killable, pausable and restartable over the same data. Disposal
/// kills every process it started, whatever state a test left them in. Use it as an xunit fixture, derived per suite.
/// </summary>
public class ServiceStack : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);
    private readonly ServiceStackOptions _options;
    private readonly List<StackService> _services = [];
    private readonly List<ServiceProcess> _batchers = [];
    private S3ObjectStore? _objects;
    private BlockStore? _blocks;
    private int _disposed;

    public ServiceStack(ServiceStackOptions options) => _options = options;

    public RabbitMqServer Broker { get; } = new();

    public S3rverServer Store { get; } = new();

    public int IngestGrpcPort { get; } = FreePort.Next();

    public int IngestHttpPort { get; } = FreePort.Next();

    public int QueryPort { get; } = FreePort.Next();

    /// <summary>Ingest.Api's OTLP/gRPC endpoint.</summary>
    public Uri IngestGrpc => new($"http://127.0.0.1:{IngestGrpcPort}");

    /// <summary>Ingest.Api's OTLP/HTTP base address (<c>v1/traces</c> under it).</summary>
    public Uri IngestHttp => new($"http://127.0.0.1:{IngestHttpPort}/");

    public Uri QueryUri => new($"http://127.0.0.1:{QueryPort}/");

    public ServiceProcess Ingest { get; private set; } = null!;

    /// <summary>The Batcher.Worker replicas, in the order of their replica IDs.</summary>
    public IReadOnlyList<ServiceProcess> Batchers => _batchers;

    public ServiceProcess Compactor { get; private set; } = null!;

    public ServiceProcess Query { get; private set; } = null!;

    /// <summary>Every service, in start order.</summary>
    public IReadOnlyList<StackService> Services => _services;

    /// <summary>The blocks in the stack's s3rver, read as the services read them (their connection string, the default prefix).</summary>
    public BlockStore Blocks
    {
        get
        {
            if (_blocks is null)
            {
                var options = Options.Create(new ObjectStoreOptions());
                options.Value.ApplyConnectionString(Store.ConnectionString);
                _objects = new S3ObjectStore(options);
                _blocks = new BlockStore(_objects, options);
            }

            return _blocks;
        }
    }

    public virtual async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        try
        {
            await Task.WhenAll(Broker.InitializeAsync().AsTask(), Store.InitializeAsync().AsTask()).WaitAsync(StartTimeout, cancellationToken);
            await BeforeServicesStartAsync(cancellationToken);
            Ingest = Add("Ingest.Api", "Ingest.Api", IngestHttp, _options.Ingest, new()
            {
                ["Otlp__GrpcPort"] = Text(IngestGrpcPort),
                ["Otlp__HttpPort"] = Text(IngestHttpPort),
            });
            for (var i = 0; i < _options.Batchers; i++)
            {
                var port = FreePort.Next();
                var own = new Dictionary<string, string> { ["Batcher__Port"] = Text(port) };
                var replica = _options.Batchers > 1 ? ((char)('a' + i)).ToString() : null;
                if (replica is not null)
                {
                    own["processing__replica_id"] = replica;
                }

                _batchers.Add(Add(replica is null ? "Batcher.Worker" : $"Batcher.Worker {replica}", "Batcher.Worker", Local(port), _options.Batcher, own));
            }

            var compactorPort = FreePort.Next();
            Compactor = Add("Compactor.Worker", "Compactor.Worker", Local(compactorPort), _options.Compactor, new() { ["Compactor__Port"] = Text(compactorPort) });
            Query = Add("Query.Api", "Query.Api", QueryUri, _options.Query, new() { ["Query__Port"] = Text(QueryPort) });
            await Task.WhenAll(_services.Select(s => s.Process.StartAsync(cancellationToken))).WaitAsync(StartTimeout, cancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    /// <summary>Resident memory of every service now, by name (null for a service not running).</summary>
    public IReadOnlyDictionary<string, ProcessMemory?> Memory() => _services.ToDictionary(s => s.Name, s => ProcessMemory.Read(s.Process.Id));

    /// <summary>Starts a new peak-memory measurement in every service.</summary>
    public void ResetPeaks()
    {
        foreach (var service in _services)
        {
            ProcessMemory.ResetPeak(service.Process.Id);
        }
    }

    /// <summary>The last output of each process, the broker and s3rver included, for failure messages.</summary>
    public string DescribeOutput(int charsPerProcess = 3_000)
    {
        var text = new StringBuilder();
        foreach (var (name, output) in Outputs())
        {
            text.Append("--- ").Append(name).Append(" ---\n").Append(output.Length > charsPerProcess ? output[^charsPerProcess..] : output).Append('\n');
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        // Once only: a failed start disposes the stack, and xunit disposes the fixture again.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            await BeforeStopAsync();
        }
        finally
        {
            await StopAsync();
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Runs once RabbitMQ and s3rver are up and before any service starts: for data the services must find at start.</summary>
    protected virtual Task BeforeServicesStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs first at disposal, while every process still runs: for a suite's last measurements and its own clients.</summary>
    protected virtual ValueTask BeforeStopAsync() => ValueTask.CompletedTask;

    private async Task StopAsync()
    {
        // Kill first (SIGKILL works on stopped processes too), so nothing flushes or waits on a peer that is gone.
        foreach (var service in _services)
        {
            service.Process.Dispose();
        }

        Store.Kill();
        Broker.Kill();
        await SaveOutputAsync();
        _objects?.Dispose();
        await Store.DisposeAsync();
        await Broker.DisposeAsync();
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private static Uri Local(int port) => new($"http://127.0.0.1:{port}/");

    private IEnumerable<(string Name, string Output)> Outputs() =>
        [.. _services.Select(s => (s.Name, s.Process.Output)), ("rabbitmq", Broker.Output), ("s3rver", Store.Output)];

    private async Task SaveOutputAsync()
    {
        if (_options.OutputFolder is not { } folder)
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(folder);
            foreach (var (name, output) in Outputs())
            {
                await File.WriteAllTextAsync(Path.Combine(folder, $"{_options.OutputPrefix}{name.Replace(' ', '-')}.log"), output);
            }
        }
        catch (IOException)
        {
            // Diagnostics only.
        }
    }

    private ServiceProcess Add(string name, string project, Uri baseUri, IReadOnlyDictionary<string, string> settings, Dictionary<string, string> own)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__messaging"] = Broker.ConnectionString,
            ["ConnectionStrings__objectstore"] = Store.ConnectionString,
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            // No telemetry export, whatever the test process's environment says.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = string.Empty,
        };
        foreach (var (key, value) in _options.Common.Concat(settings).Concat(own))
        {
            environment[key] = value;
        }

        var health = new Uri(baseUri, "health");
        var process = new ServiceProcess(project, environment, health.ToString());
        _services.Add(new StackService(name, process, health));
        return process;
    }
}
