using Microsoft.AspNetCore.Server.Kestrel.Core;
using OtelStorage.Storage.ObjectStore;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddObjectStore();
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Query:Port", 16686), HttpProtocols.Http1AndHttp2));

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
