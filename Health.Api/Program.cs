using Microsoft.AspNetCore.Server.Kestrel.Core;
using OtelStorage.Storage.ObjectStore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRabbitMQClient("messaging");
builder.AddObjectStore();
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Health:Port", 13133), HttpProtocols.Http1AndHttp2));

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
