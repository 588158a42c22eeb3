using OtelStorage.Messaging.Connection;

namespace Health.Api.Options;

/// <summary>
/// Where the RabbitMQ management HTTP API answers. Bound from <c>Health:RabbitMq</c>. Every key is optional: what is
/// missing comes from the <c>messaging</c> AMQP connection string (host, user, password, virtual host), with the
/// management plugin's default port 15672.
/// </summary>
public sealed class RabbitMqManagementOptions
{
    public const string SectionName = "Health:RabbitMq";

    /// <summary>The management plugin's default port, where the derived <see cref="ManagementUrl"/> points.</summary>
    public const int DefaultManagementPort = 15672;

    public string? ManagementUrl { get; set; }

    public string? Username { get; set; }

    public string? Password { get; set; }

    public string? VirtualHost { get; set; }

    /// <summary>
    /// Fills unset keys from the AMQP URI (<c>amqp://user:pass@host:5672/vhost</c>), read by Messaging as the services
    /// read it (<see cref="BrokerConnectionFactory.ParseAddress"/>); a URI it refuses throws, naming the problem.
    /// </summary>
    public void ApplyConnectionString(string? amqpUri)
    {
        if (string.IsNullOrWhiteSpace(amqpUri) || (ManagementUrl, Username, Password, VirtualHost) is (not null, not null, not null, not null))
        {
            return;
        }

        var broker = BrokerConnectionFactory.ParseAddress(amqpUri);
        Username ??= broker.UserName;
        Password ??= broker.Password;
        VirtualHost ??= broker.VirtualHost;
        ManagementUrl ??= new UriBuilder(broker.Tls ? "https" : "http", broker.Host, DefaultManagementPort).Uri.ToString();
    }
}
