using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using OtelStorage.LoadGen.Running;
using OtelStorage.LoadGen.Sending;
using OtelStorage.LoadGen.Verification;
using OtelStorage.LoadGen.Workload;

var protocol = new Option<string>("--protocol", "-p") { Description = "grpc, http/protobuf or http/json", DefaultValueFactory = _ => "grpc" };
var endpoint = new Option<string?>("--endpoint", "-e") { Description = "OTLP endpoint (default http://localhost:4317 for grpc, http://localhost:4318 for http)" };
var rate = new Option<double>("--rate", "-r") { Description = "target spans per second; 0 sends flat out", DefaultValueFactory = _ => 0 };
var duration = new Option<string?>("--duration", "-d") { Description = "how long to send, e.g. 30s or 2m" };
var spans = new Option<long?>("--spans", "-n") { Description = "how many spans to send" };
var concurrency = new Option<int>("--concurrency", "-c") { Description = "requests in flight", DefaultValueFactory = _ => 4 };
var batchSize = new Option<int>("--batch-size", "-b") { Description = "spans per export request", DefaultValueFactory = _ => 512 };
var seed = new Option<int>("--seed") { Description = "seed of the realistic data set (same seed, same span contents)", DefaultValueFactory = _ => 42 };
var idSeed = new Option<int?>("--id-seed")
{
    Description = "seed of the trace and span IDs; by default a fresh one per run (printed), so a run never shares IDs with the data an earlier run left in the store. Give the printed value to repeat a run exactly",
};
var templateSpans = new Option<long>("--template-spans")
{
    Description = "spans in the request template pool, generated before sending starts; each send patches a copy with fresh IDs and current timestamps",
    DefaultValueFactory = _ => 1_000_000,
};
templateSpans.Validators.Add(result =>
{
    if (result.GetValueOrDefault<long>() < 1)
    {
        result.AddError($"--template-spans must be at least 1, got {result.GetValueOrDefault<long>()}");
    }
});
var tenant = new Option<string>("--tenant") { Description = "X-Scope-OrgID", DefaultValueFactory = _ => "single-tenant" };
var apiKey = new Option<string?>("--api-key") { Description = "sent as X-API-Key" };
var verify = new Option<bool>("--verify") { Description = "afterwards, read every acknowledged span back from Query.Api; any missing fails the run" };
var queryUrl = new Option<string>("--query-url") { Description = "Query.Api base address", DefaultValueFactory = _ => "http://localhost:16686/" };
var verifyTimeout = new Option<string>("--verify-timeout") { Description = "how long spans may take to become queryable: incomplete traces are asked again until then, and once more after it", DefaultValueFactory = _ => "60s" };
var verifyBatch = new Option<int>("--verify-batch") { Description = "traces asked per read-back request, at most Query.Api's Query:MaxLimit", DefaultValueFactory = _ => new VerificationOptions().BatchSize };
verifyBatch.Validators.Add(result =>
{
    if (result.GetValueOrDefault<int>() < 1)
    {
        result.AddError($"--verify-batch must be at least 1, got {result.GetValueOrDefault<int>()}");
    }
});
var json = new Option<FileInfo?>("--json") { Description = "also write the summary as JSON to this file" };

var root = new RootCommand("OtelStorage example client and load generator: sends realistic traces over OTLP and checks they are stored.")
{
    protocol, endpoint, rate, duration, spans, concurrency, batchSize, seed, idSeed, templateSpans, tenant, apiKey, verify, queryUrl, verifyTimeout, verifyBatch, json,
};

var measureSpans = new Option<long>("--spans", "-n") { Description = "spans through each path", DefaultValueFactory = _ => 2_000_000 };
var measure = new Command("measure", "measures the CPU per span of making requests (template patch, patch + track, generate + serialize); sends nothing")
{
    measureSpans, batchSize, seed, templateSpans,
};
measure.SetAction(parse =>
{
    var figures = RequestCost.Measure(parse.GetValue(seed), parse.GetValue(batchSize), parse.GetValue(templateSpans), parse.GetValue(measureSpans));
    Console.WriteLine("| path | spans | CPU-s | µs per span | spans per CPU-second |");
    Console.WriteLine("|---|---|---|---|---|");
    foreach (var f in figures)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {f.Path} | {f.Spans:N0} | {f.Cpu.TotalSeconds:F2} | {f.MicrosecondsPerSpan:F3} | {1e6 / f.MicrosecondsPerSpan:N0} |"));
    }
});
root.Subcommands.Add(measure);

root.SetAction(async (parse, cancellationToken) =>
{
    var otlpProtocol = OtlpProtocolNames.Parse(parse.GetValue(protocol)!);
    var options = new LoadOptions
    {
        Protocol = otlpProtocol,
        Endpoint = parse.GetValue(endpoint) is { } e ? new Uri(e) : otlpProtocol.DefaultEndpoint(),
        Rate = parse.GetValue(rate),
        Duration = parse.GetValue(duration) is { } d ? DurationParser.Parse(d) : null,
        TotalSpans = parse.GetValue(spans),
        Concurrency = parse.GetValue(concurrency),
        BatchSize = parse.GetValue(batchSize),
        Seed = parse.GetValue(seed),
        IdSeed = parse.GetValue(idSeed) ?? Random.Shared.Next(),
        TemplateSpans = parse.GetValue(templateSpans),
        Tenant = parse.GetValue(tenant)!,
        ApiKey = parse.GetValue(apiKey),
        TrackAcknowledged = parse.GetValue(verify),
    };
    if (options.Duration is null && options.TotalSpans is null)
    {
        options = options with { TotalSpans = 10_000 };
    }

    var generating = Stopwatch.StartNew();
    var templates = RequestTemplatePool.Generate(options.Seed, options.IdSeed, options.BatchSize, options.TemplatePoolSpans());
    await Console.Error.WriteLineAsync($"generated {templates.Templates.Count:N0} request templates ({templates.SpanCount:N0} spans, {templates.ByteCount / 1e6:N0} MB) in {generating.Elapsed.TotalSeconds:F1} s");
    await Console.Error.WriteLineAsync($"sending to {options.Endpoint} over {otlpProtocol.Name()}, {options.Concurrency} in flight, {options.BatchSize} spans per request, seed {options.Seed}, id seed {options.IdSeed}");
    using var sender = OtlpSender.Create(options.Protocol, options.Endpoint, options.Headers(), options.Timeout);
    var runner = new LoadRunner(options, sender, templates);
    using var stopProgress = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    var progress = new ProgressReporter(runner, Console.Error).RunAsync(stopProgress.Token);
    await runner.RunAsync(cancellationToken);
    await stopProgress.CancelAsync();
    await progress;

    VerificationResult? verification = null;
    if (options.TrackAcknowledged)
    {
        await Console.Error.WriteLineAsync($"verifying {runner.Ledger.AcknowledgedTraceCount:N0} traces against {parse.GetValue(queryUrl)}");
        using var source = new QueryApiTraceSource(new Uri(parse.GetValue(queryUrl)!), options.Headers());
        verification = await new TraceVerifier(source, runner.Ledger, new VerificationOptions { BatchSize = parse.GetValue(verifyBatch) }).VerifyAsync(runner.Ledger.Acknowledged(), DurationParser.Parse(parse.GetValue(verifyTimeout)!), null, cancellationToken);
    }

    var summary = RunSummary.From(runner, options, verification);
    summary.WriteText(Console.Out);
    if (parse.GetValue(json) is { } file)
    {
        await File.WriteAllTextAsync(file.FullName, summary.ToJson(), cancellationToken);
    }

    return summary.Succeeded ? 0 : 1;
});

return await root.Parse(args).InvokeAsync();
