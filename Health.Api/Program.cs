using Health.Api.Apis;
using Health.Api.Extensions;
using Health.Api.Pipeline;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Health:Port", 13133), HttpProtocols.Http1AndHttp2));

var app = builder.Build();

// The gauges observe the state from the start, not from their first resolve.
app.Services.GetRequiredService<HealthMetrics>();
app.UseDefaultFiles();
app.UseStaticFiles();
app.MapDefaultEndpoints(HealthApi.ReadinessPath);
app.MapHealthApi();

app.Run();
