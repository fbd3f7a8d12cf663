# Where the gateways keep history and flow state (api-gateway.toml's [state]): the Cassandra
# servers of node['midonet_vpc']['cassandras'], checked, and the keyspace's replication. Raises
# naming the attribute, so a bad value fails the Chef run before any resource changes.
module MidonetVpc
  module State
    ROOT = "node['midonet_vpc']".freeze
    CQL_PORT = 9042

    # 'host:port' of each Cassandra server ('host' alone gets CQL's port).
    def self.cassandra_addresses(attrs)
      attrs['cassandras'].to_a.each_with_index.map do |entry, index|
        where = "#{ROOT}['cassandras'][#{index}]"
        text = entry.to_s
        host, port = text.start_with?('[') ? text.split(/(?<=\]):/, 2) : text.split(':', 2)
        if host.nil? || host.empty? || host.match?(%r{[\s/,]})
          raise ArgumentError, "#{where}: #{entry.inspect} is not host or host:port"
        end
        port ||= CQL_PORT.to_s
        unless MidonetVpc::Ensemble.port?(port)
          raise ArgumentError, "#{where}: port #{port.inspect} is not 1 to 65535"
        end
        "#{host}:#{Integer(port, 10)}"
      end
    end

    # The keyspace's replication factor: the attribute, or as many as servers, at most 3.
    def self.replication_factor(attrs)
      factor = attrs['api_gateway']['cassandra_replication_factor']
      return [cassandra_addresses(attrs).size, 3].min if factor.nil?
      number = Integer(factor.to_s, 10, exception: false)
      return number if number&.positive?
      raise ArgumentError, "#{ROOT}['api_gateway']['cassandra_replication_factor']: " \
                           "#{factor.inspect} is not a positive number"
    end
  end
end
