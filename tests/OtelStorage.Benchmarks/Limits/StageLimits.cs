using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.Storage.ObjectStore;
using OtelStorage.Workload;
using RabbitMQ.Client;

namespace OtelStorage.Benchmarks.Limits;

/// <summary>
/// The single-stage limits an end-to-end figure is compared with, measured in the same run (docs/PERFORMANCE.md):
/// raw protobuf decode of the same requests on one core, RabbitMQ's own publish-and-confirm rate for the same
/// message size, and the object store's PUT throughput for block-sized objects.
/// Run: <c>dotnet run -c Release --project tests/OtelStorage.Benchmarks -- limits --amqp URI --s3 CONNECTIONSTRING [--json FILE]</c>.
/// </summary>
public static class StageLimits
{
    private static readonly TimeSpan StageDuration = TimeSpan.FromSeconds(8);
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var amqp = Arg("--amqp");
        var s3 = Arg("--s3");
        var json = Arg("--json");
        var messageBytes = int.Parse(Arg("--message-bytes") ?? (256 * 1024).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

        var requests = new RealisticSpanGenerator(seed: 42).Requests(200_000, 512).Select(r => r.ToByteArray()).ToArray();
        var spansPerRequest = 200_000.0 / requests.Length;
        var results = new Dictionary<string, double>
        {
            ["decode_spans_per_s_one_core"] = MeasureDecode(requests, spansPerRequest),
            ["request_bytes_per_span"] = requests.Sum(r => (double)r.Length) / 200_000,
        };

        if (amqp is not null)
        {
            var bytesPerSecond = await MeasureRabbitMqAsync(new Uri(amqp), messageBytes);
            results["rabbitmq_publish_confirm_mb_per_s"] = bytesPerSecond / 1e6;
            results["rabbitmq_publish_confirm_spans_per_s"] = bytesPerSecond / results["request_bytes_per_span"];
            results["rabbitmq_message_bytes"] = messageBytes;
        }

        if (s3 is not null)
        {
            results["s3_put_mb_per_s"] = await MeasureS3PutAsync(s3) / 1e6;
        }

        foreach (var (key, value) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key,-40} {value,14:N1}"));
        }

        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(results, Indented));
        }

        return 0;
    }

    private static double MeasureDecode(byte[][] requests, double spansPerRequest)
    {
        var decoded = 0L;
        // One warm-up pass so the figure is steady-state, not JIT.
        foreach (var r in requests)
        {
            ExportTraceServiceRequest.Parser.ParseFrom(r);
        }

        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < StageDuration)
        {
            foreach (var r in requests)
            {
                ExportTraceServiceRequest.Parser.ParseFrom(r);
                decoded++;
            }
        }

        return decoded * spansPerRequest / stopwatch.Elapsed.TotalSeconds;
    }

    /// <summary>Publish with confirms to a fresh quorum queue while a consumer drains it, as the pipeline does.</summary>
    private static async Task<double> MeasureRabbitMqAsync(Uri amqp, int messageBytes)
    {
        var queue = "otelstorage.limits." + Guid.NewGuid().ToString("N")[..8];
        var factory = new ConnectionFactory { Uri = amqp };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null));
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });

        await using var consumerChannel = await connection.CreateChannelAsync();
        await consumerChannel.BasicQosAsync(0, 256, false);
        var consumer = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) => await consumerChannel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

        var body = new byte[messageBytes];
        Random.Shared.NextBytes(body);
        var properties = new BasicProperties { Persistent = true };
        var inFlight = new Queue<Task>();
        var published = 0L;
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < StageDuration)
        {
            inFlight.Enqueue(channel.BasicPublishAsync(string.Empty, queue, mandatory: false, properties, body).AsTask());
            published++;
            if (inFlight.Count >= 256)
            {
                await inFlight.Dequeue();
            }
        }

        await Task.WhenAll(inFlight);
        var elapsed = stopwatch.Elapsed;
        await channel.QueueDeleteAsync(queue);
        return published * (double)messageBytes / elapsed.TotalSeconds;
    }

    private static async Task<double> MeasureS3PutAsync(string connectionString)
    {
        var options = new ObjectStoreOptions();
        options.ApplyConnectionString(connectionString);
        using var store = new S3ObjectStore(Options.Create(options));
        var body = new byte[16 * 1024 * 1024];
        Random.Shared.NextBytes(body);
        var prefix = "limits-" + Guid.NewGuid().ToString("N")[..8] + "/";
        var written = 0L;
        var stopwatch = Stopwatch.StartNew();
        for (var i = 0; stopwatch.Elapsed < StageDuration; i++)
        {
            await store.WriteAsync(prefix + i.ToString(CultureInfo.InvariantCulture), body, CancellationToken.None);
            written += body.Length;
        }

        var elapsed = stopwatch.Elapsed;
        await foreach (var o in store.ListAsync(prefix, null, CancellationToken.None))
        {
            await store.DeleteAsync(o.Key, CancellationToken.None);
        }

        return written / elapsed.TotalSeconds;
    }
}
