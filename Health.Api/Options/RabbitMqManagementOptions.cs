namespace Health.Api.Options;

/// <summary>
/// Where the RabbitMQ management HTTP API answers. Bound from <c>Health:RabbitMq</c>. Every key is optional: what is
/// missing comes from the <c>messaging</c> AMQP connection string (host, user, password, virtual host), with the
/// management plugin's default port 15672.
/// </summary>
public sealed class RabbitMqManagementOptions
{
    public const string SectionName = "Health:RabbitMq";

    public string? ManagementUrl { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? VirtualHost { get; set; }

    /// <summary>Fills unset keys from the AMQP URI (<c>amqp://user:pass@host:5672/vhost</c>).</summary>
    public void ApplyConnectionString(string? amqpUri)
    {
        if (string.IsNullOrWhiteSpace(amqpUri) || !Uri.TryCreate(amqpUri, UriKind.Absolute, out var uri))
        {
            return;
        }

        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            Username ??= Uri.UnescapeDataString(userInfo[0]);
            Password ??= userInfo.Length > 1 ? Uri.UnescapeDataString(userInfo[1]) : null;
        }

        var vhost = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        VirtualHost ??= vhost.Length == 0 ? "/" : vhost;
        ManagementUrl ??= new UriBuilder(uri.Scheme == "amqps" ? "https" : "http", uri.Host, 15672).Uri.ToString();
    }
}
