using Microsoft.AspNetCore.Server.Kestrel.Core;
using OtelStorage.Compaction;
using OtelStorage.Storage.ObjectStore;

// Compaction and retention, apart from the Batcher so that a compact job's memory and CPU never take from ingestion
// (docs/architecture.md, "Compaction in its own process"). Every replica consumes the compaction queue; RabbitMQ's
// single active consumer hands each job to one of them.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
// Aspire's client for RabbitMQ.Client's tracing only: the worker opens its own connection without automatic recovery,
// and AddCompaction's health check reports that connection. Aspire's check would open a second one on the first probe.
builder.AddRabbitMQClient("messaging", settings => settings.DisableHealthChecks = true);
builder.AddObjectStore();
builder.AddCompaction();
// The worker serves only /health and /alive, on a port Aspire assigns.
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Compactor:Port", 8082), HttpProtocols.Http1));

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
