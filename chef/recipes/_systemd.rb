# The one `systemctl daemon-reload` that unit templates notify, so systemd reads a changed unit
# before its service is (re)started.
execute 'midonet_vpc: systemctl daemon-reload' do
  command 'systemctl daemon-reload'
  action :nothing
end
