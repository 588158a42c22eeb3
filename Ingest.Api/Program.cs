using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRabbitMQClient("messaging");
builder.WebHost.ConfigureKestrel(kestrel =>
{
    // OTLP/gRPC clients speak HTTP/2 cleartext with prior knowledge, so 4317 must be HTTP/2 only.
    kestrel.Listen(builder.Configuration, builder.Configuration.GetValue("Otlp:GrpcPort", 4317), HttpProtocols.Http2);
    kestrel.Listen(builder.Configuration, builder.Configuration.GetServerPort("Otlp:HttpPort", 4318), HttpProtocols.Http1AndHttp2);
});

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
