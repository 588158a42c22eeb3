using System.Diagnostics;
using System.Threading.Channels;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OtelStorage.LoadGen.Sending;
using OtelStorage.Workload;

namespace OtelStorage.LoadGen.Running;

/// <summary>
/// Generates the realistic data set on one thread and exports it from <see cref="LoadOptions.Concurrency"/> workers,
/// paced to the target rate, until the duration or span count is reached.
/// </summary>
public sealed class LoadRunner(LoadOptions options, OtlpSender sender)
{
    public LoadStatistics Statistics { get; } = new();

    public AcknowledgedSpans Acknowledged { get; } = new();

    public Stopwatch Elapsed { get; } = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (options.Duration is null && options.TotalSpans is null)
        {
            throw new ArgumentException("Give a duration, a span count or both.");
        }

        var requests = Channel.CreateBounded<ExportTraceServiceRequest>(new BoundedChannelOptions(options.Concurrency * 2)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Elapsed.Start();
        var producer = Task.Run(() => ProduceAsync(requests.Writer, cancellationToken), cancellationToken);
        var workers = Enumerable.Range(0, options.Concurrency)
            .Select(_ => Task.Run(() => SendAsync(requests.Reader, cancellationToken), cancellationToken))
            .ToArray();
        await producer;
        await Task.WhenAll(workers);
        Elapsed.Stop();
    }

    private async Task ProduceAsync(ChannelWriter<ExportTraceServiceRequest> writer, CancellationToken cancellationToken)
    {
        try
        {
            // Timestamps start a little in the past so that a search for "the last hour" finds the run.
            var generator = new RealisticSpanGenerator(options.Seed, DateTimeOffset.UtcNow.AddMinutes(-5));
            var total = options.TotalSpans ?? long.MaxValue;
            while (!cancellationToken.IsCancellationRequested
                   && generator.SpanCount < total
                   && (options.Duration is null || Elapsed.Elapsed < options.Duration))
            {
                var request = generator.NextRequest((int)Math.Min(options.BatchSize, total - generator.SpanCount));
                if (options.Rate > 0)
                {
                    var due = TimeSpan.FromSeconds(generator.SpanCount / options.Rate) - Elapsed.Elapsed;
                    if (due > TimeSpan.Zero)
                    {
                        await Task.Delay(due, cancellationToken);
                    }
                }

                await writer.WriteAsync(request, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: stop producing, let the workers drain.
        }
        finally
        {
            writer.Complete();
        }
    }

    private async Task SendAsync(ChannelReader<ExportTraceServiceRequest> reader, CancellationToken cancellationToken)
    {
        await foreach (var request in reader.ReadAllAsync(CancellationToken.None))
        {
            var spans = request.ResourceSpans.Sum(r => r.ScopeSpans.Sum(s => s.Spans.Count));
            var started = Stopwatch.GetTimestamp();
            SendResult result;
            try
            {
                result = await sender.SendAsync(request, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var latency = Stopwatch.GetElapsedTime(started);
            if (!result.Acknowledged)
            {
                Statistics.RecordFailure(spans, result.ErrorKind ?? "error", latency);
                continue;
            }

            Statistics.RecordSuccess(spans, result.RejectedSpans, latency);
            // With a partial success we cannot tell which spans were kept, so only whole acceptances are verified.
            if (options.TrackAcknowledged && result.RejectedSpans == 0)
            {
                Acknowledged.Add(request);
            }
        }
    }
}
