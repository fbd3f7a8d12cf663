# The ZooKeeper ensemble that node['midonet_vpc']['zookeepers'] describes, as plain Ruby: the
# recipes, the templates and the cookbook test (chef/test) all read it through here, so the
# ensemble a member joins and the one the gateways connect to cannot differ.
module MidonetVpc
  module Ensemble
    # One member: `id` is its ZooKeeper server id (zoo.cfg's server.<id>, its myid).
    Server = Struct.new(:id, :host, :client_port, :quorum_port, :election_port) do
      # `host:client_port`, as clients spell a server.
      def client_address
        "#{host}:#{client_port}"
      end
    end

    KEYS = %w(id host port quorum_port election_port).freeze

    # The members, in the list's order, from `attrs` (node['midonet_vpc']); raises, naming the
    # entry, on one that does not parse or an id given twice.
    def self.servers(attrs)
      entries = attrs['zookeepers'].to_a
      raise ArgumentError, "node['midonet_vpc']['zookeepers'] is empty" if entries.empty?
      servers = entries.each_with_index.map { |entry, index| parse(attrs, entry, index) }
      servers.group_by(&:id).each do |id, same|
        next if same.size == 1
        hosts = same.map(&:client_address).join(' and ')
        raise ArgumentError, "node['midonet_vpc']['zookeepers']: #{hosts} both have id #{id}"
      end
      servers
    end

    # One entry: a hash with an id, or the midokura form 'host:port' (its position is its id).
    def self.parse(attrs, entry, index)
      where = "node['midonet_vpc']['zookeepers'][#{index}]"
      defaults = [attrs['zookeeper']['quorum_port'], attrs['zookeeper']['election_port']]
      if entry.is_a?(String)
        host, port, *rest = entry.split(':')
        unless rest.empty? && !host.to_s.empty? && port?(port)
          raise ArgumentError, "#{where}: #{entry.inspect} is not 'host:port' nor " \
                               "{'id' => n, 'host' => host, 'port' => port}"
        end
        return Server.new(index + 1, host, Integer(port, 10), *defaults)
      end
      unless entry.is_a?(Hash)
        raise ArgumentError, "#{where}: #{entry.inspect} is neither a hash nor 'host:port'"
      end
      unknown = entry.keys.map(&:to_s) - KEYS
      raise ArgumentError, "#{where}: unknown keys #{unknown.join(', ')} (known: #{KEYS.join(', ')})" \
        unless unknown.empty?
      id = Integer(entry['id'].to_s, 10, exception: false)
      raise ArgumentError, "#{where}: id #{entry['id'].inspect} is not 1 to 255" \
        unless id && id.between?(1, 255)
      host = entry['host'].to_s
      raise ArgumentError, "#{where}: 'host' is missing" if host.empty?
      ports = %w(port quorum_port election_port).zip([nil] + defaults).map do |key, default|
        value = entry.fetch(key, default)
        raise ArgumentError, "#{where}: #{key} #{value.inspect} is not 1 to 65535" unless port?(value)
        Integer(value.to_s, 10)
      end
      Server.new(id, host, *ports)
    end

    def self.port?(value)
      number = Integer(value.to_s, 10, exception: false)
      !number.nil? && number.between?(1, 65_535)
    end

    # `host:port` of each member, for the gateways' `zookeeper` list.
    def self.client_addresses(attrs)
      servers(attrs).map(&:client_address)
    end

    # The member with server id `id`.
    def self.member(attrs, id)
      found = servers(attrs).find { |server| server.id == Integer(id) }
      return found if found
      ids = servers(attrs).map(&:id).join(', ')
      raise ArgumentError, "ZooKeeper server id #{id} is not in node['midonet_vpc']['zookeepers'] " \
                           "(ids #{ids})"
    end

    # The server id of this node: node['midonet_vpc']['zookeeper']['my_id'], or else the one
    # member whose host is among `names` (this node's addresses and host names).
    def self.my_id(attrs, names)
      given = attrs['zookeeper']['my_id']
      return member(attrs, given).id unless given.nil?
      mine = servers(attrs).select { |server| names.include?(server.host) }
      return mine.first.id if mine.size == 1
      hosts = servers(attrs).map(&:host).uniq.join(', ')
      if mine.empty?
        raise ArgumentError, "none of this node's addresses and names (#{names.join(', ')}) is a " \
                             "ZooKeeper server (#{hosts}): set node['midonet_vpc']['zookeeper']['my_id']"
      end
      raise ArgumentError, "several ZooKeeper servers (#{mine.map(&:id).join(', ')}) are on this " \
                           "node: set node['midonet_vpc']['zookeeper']['my_id']"
    end
  end
end
