using System.Diagnostics.Metrics;
using Batcher.Worker.Batching;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Messaging;
using OtelStorage.Storage.Blocks;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Testing;
using RabbitMQ.Client;
using Xunit;

namespace Batcher.Worker.Tests;

[CollectionDefinition(Name)]
public sealed class BrokerAndStoreCollection : ICollectionFixture<RabbitMqServer>, ICollectionFixture<S3rverServer>
{
    public const string Name = "broker and store";
}

/// <summary>
/// One test's worth of batcher: its own queue and block prefix on the shared broker and s3rver, a publisher,
/// and workers (the real <see cref="SpanBatchConsumer"/>) started and stopped in process.
/// </summary>
public sealed class BatcherHarness : IAsyncDisposable
{
    private readonly RabbitMqServer _rabbit;
    private readonly List<Worker> _workers = [];
    private IConnection? _publisherConnection;
    private IChannel? _publisher;

    public BatcherHarness(RabbitMqServer rabbit, S3rverServer s3)
    {
        _rabbit = rabbit;
        var id = Guid.NewGuid().ToString("N")[..8];
        Queue = new SpanQueueOptions { Queue = "spans-" + id };
        var storeOptions = new ObjectStoreOptions();
        storeOptions.ApplyConnectionString(s3.ConnectionString);
        ObjectStore = new S3ObjectStore(Options.Create(storeOptions));
        Keys = new BlockKeys("blocks-" + id);
        Blocks = new BlockStore(ObjectStore, Keys);
    }

    public SpanQueueOptions Queue { get; }

    public S3ObjectStore ObjectStore { get; }

    public BlockKeys Keys { get; }

    /// <summary>Reads what the workers wrote.</summary>
    public BlockStore Blocks { get; }

    public static BatcherOptions FastOptions(int batchSize = 100_000, int timeoutMs = 300) => new()
    {
        BatchSize = batchSize,
        BatchTimeoutMs = timeoutMs,
        RetryInitialMs = 50,
        RetryMaxMs = 1_000,
        RowGroupSpans = 1_000,
        ShutdownTimeoutMs = 10_000,
    };

    /// <summary>Starts a worker writing through <paramref name="store"/> (default: s3rver).</summary>
    public async Task<Worker> StartWorkerAsync(BatcherOptions options, IObjectStore? store = null)
    {
        var worker = new Worker(_rabbit.ConnectionString, new BlockStore(store ?? ObjectStore, Keys), options, Queue);
        _workers.Add(worker);
        await worker.Consumer.StartAsync(TestContext.Current.CancellationToken);
        return worker;
    }

    public async Task PublishAsync(ExportTraceServiceRequest request, string? tenant = "acme") =>
        await PublishRawAsync(request.ToByteArray(), tenant);

    public async Task PublishRawAsync(byte[] body, string? tenant)
    {
        var channel = await PublisherAsync();
        var properties = new BasicProperties { Persistent = true, ContentType = SpanMessage.ContentType, Type = SpanMessage.Type, Headers = new Dictionary<string, object?>() };
        if (tenant is not null)
        {
            properties.Headers[SpanMessage.Headers.Tenant] = tenant;
        }

        properties.Headers[SpanMessage.Headers.TraceParent] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        // A fresh quorum queue can nack while its leader is still being elected on a loaded machine; a publisher
        // retries a nack, as Ingest.Api's clients do.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await channel.BasicPublishAsync(string.Empty, Queue.Queue, mandatory: true, properties, body, TestContext.Current.CancellationToken);
                return;
            }
            catch (RabbitMQ.Client.Exceptions.PublishException) when (attempt < 5)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), TestContext.Current.CancellationToken);
            }
        }
    }

    /// <summary>Ready (undelivered or returned) messages in a queue.</summary>
    public async Task<uint> ReadyMessagesAsync(string queue)
    {
        var channel = await PublisherAsync();
        var ok = await channel.QueueDeclarePassiveAsync(queue, TestContext.Current.CancellationToken);
        return ok.MessageCount;
    }

    public Task<BasicGetResult?> GetDeadLetterAsync() => GetAsync(Queue.DeadLetterQueue);

    /// <summary>Takes (and acknowledges) the next ready message of a queue, or returns null when there is none.</summary>
    public async Task<BasicGetResult?> GetAsync(string queue)
    {
        var channel = await PublisherAsync();
        return await channel.BasicGetAsync(queue, autoAck: true, TestContext.Current.CancellationToken);
    }

    /// <summary>Every span of the tenant's committed blocks.</summary>
    public async Task<List<StoredSpan>> StoredSpansAsync(string tenant)
    {
        var spans = new List<StoredSpan>();
        await foreach (var meta in Blocks.ListBlocksAsync(tenant, null, TestContext.Current.CancellationToken))
        {
            spans.AddRange(await Blocks.ReadAllAsync(meta, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        }

        return spans;
    }

    /// <summary>Waits until the tenant's committed blocks hold at least <paramref name="spans"/> spans, and returns their metas.</summary>
    public Task<List<BlockMeta>> WaitForSpansAsync(string tenant, long spans, TimeSpan timeout) =>
        Eventually.ValueAsync(
            async ct => await Blocks.ListBlocksAsync(tenant, null, ct).ToListAsync(ct),
            metas => metas.Sum(m => m.SpanCount) >= spans,
            timeout,
            TestContext.Current.CancellationToken,
            what: $"{spans} spans in {tenant}'s committed blocks",
            describe: metas => $"{metas.Sum(m => m.SpanCount)} spans in {metas.Count} blocks");

    public async ValueTask DisposeAsync()
    {
        foreach (var w in _workers)
        {
            await w.DisposeAsync();
        }

        if (_publisher is not null)
        {
            await _publisher.DisposeAsync();
        }

        if (_publisherConnection is not null)
        {
            await _publisherConnection.DisposeAsync();
        }

        ObjectStore.Dispose();
    }

    private async Task<IChannel> PublisherAsync()
    {
        if (_publisher is { IsOpen: true })
        {
            return _publisher;
        }

        _publisherConnection ??= await new ConnectionFactory { Uri = new Uri(_rabbit.ConnectionString) }.CreateConnectionAsync(TestContext.Current.CancellationToken);
        _publisher = await _publisherConnection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null),
            TestContext.Current.CancellationToken);
        await SpanQueueTopology.DeclareAsync(_publisher, Queue, TestContext.Current.CancellationToken);
        return _publisher;
    }
}

/// <summary>A running <see cref="SpanBatchConsumer"/> with its own meters, and a handle on its broker connection to simulate a crash.</summary>
public sealed class Worker : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly MeterListener _listener = new();
    private readonly Dictionary<string, long> _counters = [];
    private IConnection? _connection;

    public Worker(string amqp, BlockStore blocks, BatcherOptions options, SpanQueueOptions queue)
    {
        _services = new ServiceCollection().AddMetrics().AddLogging(l => l.AddProvider(new TestOutputLoggerProvider()).SetMinimumLevel(LogLevel.Debug)).BuildServiceProvider();
        Telemetry = new BatcherTelemetry(_services.GetRequiredService<IMeterFactory>());
        var factory = new ConnectionFactory { Uri = new Uri(amqp), AutomaticRecoveryEnabled = false };
        Consumer = new SpanBatchConsumer(
            async ct => _connection = await factory.CreateConnectionAsync(ct),
            blocks,
            Options.Create(options),
            Options.Create(queue),
            Telemetry,
            TimeProvider.System,
            _services.GetRequiredService<ILogger<SpanBatchConsumer>>());
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _services.GetRequiredService<IMeterFactory>() && instrument.Meter.Name == BatcherTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
        {
            lock (_counters)
            {
                _counters[instrument.Name] = _counters.GetValueOrDefault(instrument.Name) + value;
            }
        });
        _listener.Start();
    }

    public SpanBatchConsumer Consumer { get; }

    public BatcherTelemetry Telemetry { get; }

    /// <summary>The sum of a counter (or of a long histogram's records) so far.</summary>
    public long Counter(string name)
    {
        lock (_counters)
        {
            return _counters.GetValueOrDefault(name);
        }
    }

    /// <summary>Drops the broker connection without any goodbye, as a crash would.</summary>
    public async Task AbortConnectionAsync()
    {
        if (_connection is not null)
        {
            await _connection.AbortAsync(TestContext.Current.CancellationToken);
        }
    }

    public async Task StopAsync() => await Consumer.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Consumer.Dispose();
        _listener.Dispose();
        Telemetry.Dispose();
        await _services.DisposeAsync();
    }
}

/// <summary>Writes logs to the current test's output.</summary>
public sealed class TestOutputLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                TestContext.Current.TestOutputHelper?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.GetType().Name + ": " + exception.Message)}");
            }
            catch (InvalidOperationException)
            {
                // The test finished; its output is closed.
            }
        }
    }
}

/// <summary>An object store whose meta.json writes can be made to fail or to hang, to test the commit protocol.</summary>
public sealed class FaultyObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly TaskCompletionSource _dataWritten = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, meta.json writes wait until cancelled, as if the process died before the commit.</summary>
    public bool HangOnMeta { get; set; }

    public Task DataWritten => _dataWritten.Task;

    public Task<byte[]?> ReadAsync(string key, CancellationToken cancellationToken) => inner.ReadAsync(key, cancellationToken);

    public Task<byte[]> ReadRangeAsync(string key, long offset, int length, CancellationToken cancellationToken) => inner.ReadRangeAsync(key, offset, length, cancellationToken);

    public async Task WriteAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (key.EndsWith("/" + BlockKeys.MetaName, StringComparison.Ordinal) && HangOnMeta)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        await inner.WriteAsync(key, content, cancellationToken);
        if (key.EndsWith("/" + BlockKeys.DataName, StringComparison.Ordinal))
        {
            _dataWritten.TrySetResult();
        }
    }

    public IAsyncEnumerable<ObjectInfo> ListAsync(string prefix, string? startAfter, CancellationToken cancellationToken) => inner.ListAsync(prefix, startAfter, cancellationToken);

    public Task DeleteAsync(string key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);

    public Task CheckAsync(CancellationToken cancellationToken) => inner.CheckAsync(cancellationToken);
}
