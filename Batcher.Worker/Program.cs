using Batcher.Worker.Extensions;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
// The worker serves only /health and /alive, on a port Aspire assigns.
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Batcher:Port", 8081), HttpProtocols.Http1));

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
