using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Ingest.Api.Tests.Infrastructure;
using OtelStorage.Testing;
using OtelStorage.Workload;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Xunit;

namespace Ingest.Api.Tests;

/// <summary>
/// A load measurement, not a pass/fail test: it runs only when asked for (explicit), drives the real service
/// over OTLP/gRPC with pre-encoded realistic 512-span requests while a consumer drains the queue, and reports
/// accepted spans/s and CPU per span. See docs/performance-ingest.md for the command.
/// </summary>
public sealed class IngestLoadMeasurement(RabbitMqServer broker) : IClassFixture<RabbitMqServer>
{
    private static readonly Method<byte[], byte[]> Export = new(
        MethodType.Unary,
        "opentelemetry.proto.collector.trace.v1.TraceService",
        "Export",
        Marshallers.Create(b => b, b => b),
        Marshallers.Create(b => b, b => b));

    [Fact(Explicit = true)]
    public async Task SustainedOtlpGrpcLoadIntoRabbitMq()
    {
        var seconds = int.Parse(Environment.GetEnvironmentVariable("INGEST_LOAD_SECONDS") ?? "20", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Environment.GetEnvironmentVariable("INGEST_LOAD_CONCURRENCY") ?? "16", CultureInfo.InvariantCulture);
        await using var app = await IngestApp.StartAsync(broker);
        var request = RealisticTraces.Request(512);
        var body = request.ToByteArray();

        await using var drain = await DrainAsync(app.Queue);
        var invoker = app.GrpcChannel.CreateCallInvoker();
        long accepted = 0;
        long failed = 0;
        var measuring = false;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 3));

        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await invoker.AsyncUnaryCall(Export, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), body);
                    if (Volatile.Read(ref measuring))
                    {
                        Interlocked.Add(ref accepted, 512);
                    }
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        })).ToArray();

        // Three seconds of warm-up (JIT, connection, queue), then the measured window.
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var machineBefore = MachineCpu();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref measuring, true);
        await Task.WhenAll(workers);
        Volatile.Write(ref measuring, false);
        clock.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        var machine = MachineCpu() - machineBefore;

        var rate = accepted / clock.Elapsed.TotalSeconds;
        var report = string.Join(Environment.NewLine,
            $"ingest load: {concurrency} concurrent OTLP/gRPC exporters, 512-span requests of {body.Length} bytes ({body.Length / 512} B/span), {clock.Elapsed.TotalSeconds:0.0} s measured",
            $"accepted: {accepted} spans, {rate:0} spans/s, {rate * body.Length / 512 / 1024 / 1024:0.0} MiB/s; failed calls: {failed}",
            $"test process CPU (Ingest.Api + load driver + queue consumer): {cpu.TotalSeconds:0.0} s, {cpu.TotalMilliseconds * 1000 / Math.Max(1, accepted):0.00} µs/span",
            $"machine CPU (all processes incl. RabbitMQ and other load): {machine.TotalSeconds:0.0} s of {clock.Elapsed.TotalSeconds * Environment.ProcessorCount:0.0} available, {machine.TotalMilliseconds * 1000 / Math.Max(1, accepted):0.00} µs/span");
        TestContext.Current.SendDiagnosticMessage(report);
        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "ingest-load.txt"), report + Environment.NewLine, TestContext.Current.CancellationToken);
        Assert.True(accepted > 0);
    }

    /// <summary>A consumer that empties the queue as the batcher would, so the queue's limit is never the bottleneck.</summary>
    private async Task<IAsyncDisposable> DrainAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(broker.ConnectionString) };
        var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        await channel.BasicQosAsync(0, 256, false, TestContext.Current.CancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, e) => channel.BasicAckAsync(e.DeliveryTag, multiple: false).AsTask();
        await channel.BasicConsumeAsync(queue, autoAck: false, consumer, TestContext.Current.CancellationToken);
        return new Drain(connection, channel);
    }

    private static TimeSpan MachineCpu()
    {
        // /proc/stat "cpu" line: user nice system idle iowait irq softirq steal, in USER_HZ (100 per second).
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long busy = 0;
        foreach (var i in new[] { 1, 2, 3, 6, 7, 8 })
        {
            busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
        }

        return TimeSpan.FromSeconds(busy / 100.0);
    }

    private sealed class Drain(IConnection connection, IChannel channel) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await channel.DisposeAsync();
            await connection.DisposeAsync();
        }
    }
}
